"""English is complete: every message of the catalogue is translated and none is fuzzy."""
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.smoke

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


def entries(*flags):
    out = subprocess.run(["msgattrib", *flags, str(CATALOGUE)], capture_output=True, text=True, check=True).stdout
    # Each entry has exactly one line starting with "msgid " (multi-line ones start with msgid ""); the
    # first entry listed is always the catalogue's header.
    blocks = [block for block in out.split("\n\n") if "\nmsgid " in "\n" + block]
    return blocks[1:]


def test_every_message_has_an_english_translation():
    assert entries("--untranslated", "--no-obsolete") == []


def test_no_english_translation_is_fuzzy():
    assert entries("--only-fuzzy", "--no-obsolete") == []
