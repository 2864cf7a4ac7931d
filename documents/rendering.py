"""Documents as PDF, with WeasyPrint: one template per kind, always in Chinese, the same bytes every time.

Determinism: WeasyPrint writes no creation date unless the HTML asks for one (``dcterms.created``, which the
templates do not), subsets fonts by content, and the /ID is fixed here from the document number, so the same
row renders to the same bytes (tests/documents/test_rendering.py). The PDF is still rendered only once, at issue,
and stored: a later WeasyPrint or font update must not change what was served on the party.
"""
import hashlib
from dataclasses import dataclass
from datetime import date

from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher


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


def _fetcher():
    # A document fetches nothing from outside: no file:// or http:// even if some content ever held markup.
    return URLFetcher(allowed_protocols=("data",))


def html_to_pdf(html, *, identifier=b""):
    return HTML(string=html, url_fetcher=_fetcher()).write_pdf(
        pdf_identifier=hashlib.sha256(identifier).hexdigest().encode() if identifier else None)


def render_pdf(*, kind, number, issued_on, content, images=None):
    """The PDF bytes of a document: its number fixes the PDF's /ID, nothing else varies.

    ``images``: name → ``data:`` URI of the evidence images the document shows (documents.images).
    """
    html = render_html(kind=kind, number=number, issued_on=issued_on, content=content, images=images)
    return html_to_pdf(html, identifier=number.encode("utf-8"))
