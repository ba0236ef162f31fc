"""Every setting the code reads is declared in citymgmt/settings.py with its default, and every
environment variable settings.py reads is in the README's table."""

import ast
import re
from pathlib import Path

from django.conf import global_settings

ROOT = Path(__file__).resolve().parents[2]
APPS = ["citymgmt", "city", "dispatch", "evaluation", "field", "mobile_api", "hotline", "maps"]


def _code_files():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts and path.name != "settings.py":
                yield path


def _settings_read(tree):
    """(name, how) for settings.NAME and getattr(settings, "NAME", …) in a module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "settings":
            if node.attr.isupper():
                yield node.attr, "attribute"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == "settings"
        ):
            yield (node.args[1].value if isinstance(node.args[1], ast.Constant) else "?"), "getattr"


def test_the_code_reads_only_declared_settings_and_never_with_a_hidden_default():
    declared = {
        n.id for n in ast.walk(ast.parse((ROOT / "citymgmt" / "settings.py").read_text())) if isinstance(n, ast.Name)
    }
    undeclared, hidden_defaults = set(), set()
    for path in _code_files():
        for name, how in _settings_read(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}: {name}"
            if how == "getattr":
                hidden_defaults.add(where)
            elif name not in declared and not hasattr(global_settings, name):
                undeclared.add(where)
    assert hidden_defaults == set(), "read settings as settings.NAME, declared in settings.py"
    assert undeclared == set()


def test_every_environment_variable_is_in_the_readme():
    source = (ROOT / "citymgmt" / "settings.py").read_text()
    variables = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', source))
    assert len(variables) > 20
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert sorted(v for v in variables if f"`{v}`" not in readme) == []
