"""Documents as PDF, with WeasyPrint: one template per kind, always in Chinese, the same bytes every time.

Determinism: WeasyPrint writes no creation date unless the HTML asks for one (``dcterms.created``, which the
templates do not), subsets fonts by content, and the /ID is fixed here from the document number, so the same
row renders to the same bytes (tests/documents/test_rendering.py). The PDF is still rendered only once, at issue,
and stored: a later WeasyPrint or font update must not change what was served on the party.
"""
import hashlib
import threading
from dataclasses import dataclass
from datetime import date

from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from documents import fonts


@dataclass(frozen=True)
class Printed:
    """What a template sees of the document besides its content."""

    kind: str
    number: str
    issued_on: date


def template_name(kind):
    return f"documents/kinds/{kind}.html"


def render_html(*, kind, number, issued_on, content, images=None):
    # Always Chinese: labels the templates translate, and anything lazy in the content, whatever the reader's language.
    with translation.override("zh-hans"):
        return render_to_string(template_name(kind), {"doc": Printed(kind, number, issued_on), "c": content,
                                                      "images": images or {}})


class _Fetcher(URLFetcher):
    """A document fetches nothing from outside: ``data:`` URIs (its evidence images) and the document fonts'
    own files, no other file:// and no http://, even if some content ever held markup."""

    def __init__(self):
        super().__init__(allowed_protocols=("data", "file"))
        self.fonts = [path.as_uri() for path, _ in fonts.available_faces()]

    def fetch(self, url, headers=None):
        if url.startswith("file:") and url not in self.fonts:
            raise ValueError(f"documents load no files but their fonts: {url}")
        return super().fetch(url, headers)


def _fetcher():
    return _Fetcher()


_fonts = threading.local()


def _font_setup():
    """The FontConfiguration with the document fonts loaded, and their stylesheet: made once per thread, since
    loading a font copies its file for fontconfig (10 MB for the two faces) and WeasyPrint's objects are not
    shared between threads."""
    if getattr(_fonts, "setup", None) is None:
        font_config = FontConfiguration()
        css = CSS(string=fonts.font_face_css(), font_config=font_config, url_fetcher=_fetcher())
        _fonts.setup = (font_config, css)
    return _fonts.setup


def html_to_pdf(html, *, identifier=b""):
    font_config, font_css = _font_setup()
    return HTML(string=html, url_fetcher=_fetcher()).write_pdf(
        stylesheets=[font_css], font_config=font_config,
        pdf_identifier=hashlib.sha256(identifier).hexdigest().encode() if identifier else None)


def render_pdf(*, kind, number, issued_on, content, images=None):
    """The PDF bytes of a document: its number fixes the PDF's /ID, nothing else varies.

    ``images``: name → ``data:`` URI of the evidence images the document shows (documents.images).
    """
    html = render_html(kind=kind, number=number, issued_on=issued_on, content=content, images=images)
    return html_to_pdf(html, identifier=number.encode("utf-8"))
