from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from .calendar import years_without_schedule
from .importers import calendar as calendar_import
from .models import (
    CalendarDay,
    Category,
    Community,
    Department,
    District,
    GridCell,
    Place,
    ResponsibilityGrid,
    RoutingRule,
    StaffProfile,
    Street,
    TimeLimit,
    WorkPeriod,
)


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "district"]
    list_filter = ["district"]
    search_fields = ["code", "name"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "street"]
    list_filter = ["street"]
    search_fields = ["code", "name"]


@admin.register(GridCell)
class GridCellAdmin(admin.ModelAdmin):
    list_display = ["code", "community", "area_m2"]
    list_filter = ["community__street"]
    search_fields = ["code"]
    list_select_related = ["community"]
    readonly_fields = ["min_lng", "min_lat", "max_lng", "max_lat", "center_lng", "center_lat"]


@admin.register(ResponsibilityGrid)
class ResponsibilityGridAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    filter_horizontal = ["inspectors"]
    raw_id_fields = ["cells"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "phone", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name", "name_en"]


class TimeLimitInline(admin.TabularInline):
    model = TimeLimit
    extra = 0


class RoutingRuleInline(admin.TabularInline):
    model = RoutingRule
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["full_code", "name", "name_en", "major_name", "default_department", "auto_dispatch", "active"]
    list_filter = ["kind", "major_name", "auto_dispatch", "active"]
    search_fields = ["code", "name", "name_en"]
    inlines = [TimeLimitInline, RoutingRuleInline]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "area_code", "department"]
    list_filter = ["department"]
    search_fields = ["category__code", "category__name", "area_code"]


@admin.register(WorkPeriod)
class WorkPeriodAdmin(admin.ModelAdmin):
    list_display = ["weekday", "start", "end"]


class CalendarImportForm(forms.Form):
    file = forms.FileField(label=_("日历文件 (CSV 或 iCalendar)"))


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working", "note"]
    list_filter = ["is_working"]
    date_hierarchy = "date"
    change_list_template = "admin/city/calendarday/change_list.html"

    def get_urls(self):
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="city_calendarday_import",
            )
        ]
        return own + super().get_urls()

    def import_view(self, request):
        """A year's holidays and make-up working days from a file, checked whole first."""
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            raise PermissionDenied
        form = CalendarImportForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                days = calendar_import.parse(upload.name, upload.read(calendar_import.MAX_BYTES + 1))
            except calendar_import.CalendarFileError as exc:
                problems = exc.problems
            else:
                created, updated = calendar_import.import_days(days)
                messages.success(
                    request,
                    _("已导入 %(n)s 天（新增 %(c)s，更新 %(u)s）。") % {"n": len(days), "c": created, "u": updated},
                )
                return redirect("admin:city_calendarday_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("导入日历"),
            "form": form,
            "problems": problems,
            "missing_years": years_without_schedule(),
        }
        return render(request, "admin/city/calendarday/import.html", context)


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "lng", "lat"]
    list_filter = ["kind"]
    search_fields = ["name", "aliases"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "phone"]
    list_filter = ["department"]
    search_fields = ["user__username"]
