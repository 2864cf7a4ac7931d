"""English is complete: every message of the catalogue is translated and none is fuzzy."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.smoke

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


def entries(*flags, catalogue=CATALOGUE):
    out = subprocess.run(["msgattrib", *flags, str(catalogue)], capture_output=True, text=True, check=True).stdout
    # Each entry has exactly one line starting with "msgid " (multi-line ones start with msgid ""); the
    # first entry listed is always the catalogue's header.
    blocks = [block for block in out.split("\n\n") if "\nmsgid " in "\n" + block]
    return blocks[1:]


def test_every_message_has_an_english_translation():
    assert entries("--untranslated", "--no-obsolete") == []


def test_no_english_translation_is_fuzzy():
    assert entries("--only-fuzzy", "--no-obsolete") == []


def test_every_message_in_the_code_is_in_the_english_catalogue(tmp_path):
    """The checks above read the catalogue only; a string added to the code without `makemessages` slips past
    them and shows Chinese to an English user. Extract afresh from a copy of the sources and compare."""
    base = Path(settings.BASE_DIR)
    files = subprocess.run(["git", "ls-files"], cwd=base, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if name.endswith((".py", ".html", ".txt", ".po")) and not name.startswith(("tests/", "bench/")):
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((base / name).read_bytes())
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "en", "-v0"], cwd=tmp_path, check=True,
                   env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"})
    fresh = tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po"
    missing = entries("--untranslated", "--no-obsolete", catalogue=fresh)
    fuzzy = entries("--only-fuzzy", "--no-obsolete", catalogue=fresh)
    assert missing + fuzzy == []


def _eager_translations(source):
    """Calls of gettext (not gettext_lazy) made when the module is imported — in its body or a class body, not in a
    function: their text is fixed in the language active then, Chinese, for every user after."""
    tree = ast.parse(source)
    eager = {alias.asname or alias.name for node in ast.walk(tree)
             if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
             for alias in node.names if alias.name in {"gettext", "pgettext", "ngettext", "npgettext"}}
    found = []

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Name) and child.func.id in eager:
                found.append(child.lineno)
            visit(child)

    visit(tree)
    return found


def test_no_message_is_translated_once_when_its_module_is_imported():
    # Outside testing: four API messages (an invalid SHA-256 of a signature, a 图斑 photo and a video, and the
    # summaries' permission) were made with gettext in a class body and reached English users in Chinese.
    base = Path(settings.BASE_DIR)
    files = subprocess.run(["git", "ls-files", "*.py"], cwd=base, capture_output=True, text=True, check=True).stdout
    found = {}
    for name in files.split():
        # Management commands' help is read in a shell, in the language the command runs in.
        if name.startswith(("tests/", "bench/")) or "/migrations/" in name or "/management/" in name:
            continue
        lines = _eager_translations((base / name).read_text())
        if lines:
            found[name] = lines
    assert found == {}
