"""Forms of the consoles (checked here, then handed to dispatch.services)."""

import re
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from city import gazetteer, phones
from city.models import Category

from .models import Urgency

KEY = re.compile(r"^[0-9a-f]{32}$")


def new_key() -> str:
    return uuid.uuid4().hex


class IntakeForm(forms.Form):
    phone = forms.CharField(label=_("来电号码"), max_length=32)
    name = forms.CharField(label=_("市民姓名"), max_length=50, required=False)
    category = forms.CharField(
        label=_("案件类别"), max_length=120, help_text=_("代码、名称或拼音首字母"),
        widget=forms.TextInput(attrs={"list": "category-list", "autocomplete": "off"}),
    )  # fmt: skip
    address = forms.CharField(
        label=_("地址"), max_length=200, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )  # fmt: skip
    lng = forms.FloatField(min_value=-180, max_value=180, required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(min_value=-90, max_value=90, required=False, widget=forms.HiddenInput)
    description = forms.CharField(label=_("问题描述"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    # Made when the form is rendered (not when it is sent): every send of this form carries it. Like
    # the API's Idempotency-Key it is optional (a post without one files without the guard).
    idempotency_key = forms.CharField(max_length=32, initial=new_key, required=False, widget=forms.HiddenInput)

    def clean_idempotency_key(self):
        key = self.cleaned_data["idempotency_key"] or None
        if key is not None and not KEY.match(key):
            raise forms.ValidationError(_("表单已失效，请重新打开受理页。"))
        return key

    def clean_phone(self):
        """One form for every number (E.164): the caller's history and status queries find it
        however it is written; a number that is not valid is refused here, where it can be fixed."""
        phone = phones.e164(self.cleaned_data["phone"])
        if phone is None:
            message = _("不是有效的电话号码：请填写手机号、带区号的固定电话，或以 + 开头的国际号码。")
            raise forms.ValidationError(message)
        return phone

    def clean_category(self):
        """A code ("E0102", or "E0102 暴露垃圾 blj" as the list fills it), a name, or pinyin initials."""
        text = self.cleaned_data["category"].strip()
        first = text.split()[0] if text.split() else ""
        if (first[:1].upper() in ("C", "E") and first[1:].isdigit()) or first.isdigit():
            return first.upper()
        matches = [c for c in Category.objects.filter(active=True) if text in (c.name, gazetteer.initials(c.name))]
        if len(matches) == 1:
            return matches[0].full_code
        raise forms.ValidationError(_("找不到唯一的类别，请从列表中选择。"))

    def clean(self):
        data = super().clean()
        if data.get("lng") is None or data.get("lat") is None:
            match = gazetteer.best_in_text(data.get("address", ""))
            if match is None:
                raise forms.ValidationError(_("请在地图上点选位置，或输入地名库中的地名。"))
            data["lng"], data["lat"] = match.place.lng, match.place.lat
        return data
