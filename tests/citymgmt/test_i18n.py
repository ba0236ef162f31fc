"""The interface ships in Chinese, with English available (compiled catalog in locale/)."""

from django.utils import translation

from dispatch.models import State


def test_login_page_in_chinese_by_default_and_english_on_request(client):
    assert "<h1>登录</h1>" in client.get("/accounts/login/").content.decode()
    english = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Sign in</h1>" in english


def test_domain_labels_and_refusals_are_translated():
    with translation.override("en"):
        assert str(State.CHECKING.label) == "Checking"
        assert str(State.SUSPENDED.label) == "Suspended"
    with translation.override("zh-hans"):
        assert str(State.SUSPENDED.label) == "挂账"


def _po_entries(path):
    """(msgid, msgstr, flags) of a .po file, multi-line strings joined."""
    import ast

    entries, current, field = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current is not None:
                entries.append(current)
            current, field = None, None
            continue
        current = current or {"msgid": "", "msgstr": "", "flags": ""}
        if line.startswith("#,"):
            current["flags"] = line
        elif line.startswith("msgid_plural "):
            field, current["msgid_plural"] = None, ast.literal_eval(line[13:])
        elif line.startswith("msgid "):
            field, current["msgid"] = "msgid", ast.literal_eval(line[6:])
        elif line.startswith("msgstr "):
            field, current["msgstr"] = "msgstr", ast.literal_eval(line[7:])
        elif line.startswith("msgstr[0] "):  # a plural entry: its first form stands for it
            field, current["msgstr"] = "msgstr", ast.literal_eval(line[10:])
        elif line.startswith("msgstr["):
            field = None
        elif line.startswith('"') and field:
            current[field] += ast.literal_eval(line)
    return entries


def test_english_catalog_is_complete_and_compiled():
    import gettext
    from pathlib import Path

    po = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"
    entries = [e for e in _po_entries(po) if e["msgid"]]
    assert len(entries) > 300
    assert [e["msgid"] for e in entries if not e["msgstr"]] == []
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"]] == []
    with open(po.with_suffix(".mo"), "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = [
        e["msgid"]
        for e in entries
        if (
            compiled.ngettext(e["msgid"], e["msgid_plural"], 1) if "msgid_plural" in e else compiled.gettext(e["msgid"])
        )
        != e["msgstr"]
    ]
    assert stale == []  # the .mo was compiled from this .po
