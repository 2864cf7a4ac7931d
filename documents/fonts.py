"""The fonts documents are set in: Noto Serif CJK SC, cut down once to the characters of GB 2312 (and the
punctuation and symbols documents use) so that WeasyPrint's per-document subsetting works on a font of 7,800
glyphs instead of 65,000. That made a one-page document about four times faster to render and a third of the size
(bench/documents.py). Characters outside the cut-down font (a rare character in a party's name: 堃, 喆) are
still set, from the full system font that follows in the font stack, per character.

``manage.py build_document_fonts`` makes the files (`make run`, `make test` and the Docker image run it) with
HarfBuzz's ``hb-subset``; without them documents render exactly as before, from the system fonts, only slower.
"""
from pathlib import Path

from django.conf import settings

# The document templates' font stack starts with this family, then the full fonts it is cut from:
# "Xuncha Serif", "Noto Serif CJK SC", "Noto Sans CJK SC", serif.
FAMILY = "Xuncha Serif"
# (file written, the fontconfig pattern of the face it is cut from, CSS font-weight)
FACES = (
    ("XunchaSerif-Regular.otf", "Noto Serif CJK SC:style=Regular", "normal"),
    ("XunchaSerif-Bold.otf", "Noto Serif CJK SC:style=Bold", "bold"),
)


def font_dir() -> Path:
    return Path(settings.DOCUMENT_FONT_DIR)


def available_faces():
    """(path, weight) of the cut-down faces that have been built."""
    return [(font_dir() / name, weight) for name, _, weight in FACES if (font_dir() / name).is_file()]


def font_face_css():
    """@font-face rules for the built faces ('' when none is built: the stack falls through to the system fonts)."""
    return "\n".join(f'@font-face {{ font-family: "{FAMILY}"; font-weight: {weight}; src: url("{path.as_uri()}"); }}'
                     for path, weight in available_faces())


def characters():
    """What the cut-down font keeps: GB 2312 (6,763 汉字 and its symbols), ASCII and Latin-1, general punctuation,
    CJK symbols and punctuation (〔〕 of document numbers), circled numbers and full-width forms."""
    kept = set()
    for first in range(0xA1, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                kept.add(bytes([first, second]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for start, end in ((0x20, 0x7F), (0xA0, 0x100), (0x2010, 0x2060), (0x2100, 0x2200), (0x2460, 0x2500),
                       (0x3000, 0x3040), (0xFF00, 0xFFF0)):
        kept.update(chr(code) for code in range(start, end))
    return "".join(sorted(kept))
