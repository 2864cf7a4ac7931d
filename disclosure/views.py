"""The public pages of 执法公示 (国办发〔2018〕118号): no login, server-rendered, in Chinese, no script.

``/gongshi/<code>/`` 事前公开 (the body, its officers, duties, legal bases, the procedure, remedies),
``/gongshi/<code>/decisions/`` 事后公开 (the published decisions, searchable and paged) and ``feed.atom``.

They are shared-cacheable: ``Cache-Control: public`` with an ETag, and a repeat with ``If-None-Match`` answers 304
before anything is rendered (the decisions' ETag comes from one aggregate over the jurisdiction's entries). So they
touch neither the session nor the CSRF token (disclosure/base.html has no user menu and no form that posts), and
always render in Chinese, whatever the visitor's language: the response does not vary by visitor.
"""
import hashlib

from django import forms
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from disclosure import selectors
from disclosure import caching
from disclosure.choices import PUBLICATION_WINDOW_DAYS, PUBLISHED_KINDS, WITHDRAWAL_DAYS, DecisionStatus
from disclosure.flowchart import flowchart_svg
from documents.choices import DocumentKind
from patrol.choices import Category

PAGE_SIZE = 20


@require_safe
def before(request, code):
    """事前公开: who enforces, how, under which law, and how to challenge a decision."""
    jurisdiction = selectors.jurisdiction_by_code(code)
    today = timezone.localdate()
    with translation.override(caching.PUBLIC_LANGUAGE):
        bases = selectors.legal_bases(jurisdiction)
        duties = [line.strip() for line in (jurisdiction.duties or "").splitlines() if line.strip()]
        html = render_to_string("disclosure/before.html", {
            "jurisdiction": jurisdiction,
            "officers": selectors.officers(jurisdiction, today),
            "duties": duties,
            "bases": bases,
            "remedies": selectors.remedies(jurisdiction),
            "flowchart": flowchart_svg(),
            "windows": sorted({(days, str(DocumentKind(kind).label)) for kind, days in PUBLICATION_WINDOW_DAYS.items()}),
            "withdrawal_days": WITHDRAWAL_DAYS,
            "today": today,
        }, request=request)
    # The page is small and cheap: its ETag is its content (officers' certificates expire by the day).
    etag = caching.etag(hashlib.sha256(html.encode()).hexdigest())
    return caching.not_modified(request, etag) or caching.public(HttpResponse(html), etag)


class SearchForm(forms.Form):
    village = forms.TypedChoiceField(label=_("行政村"), required=False, coerce=int, empty_value=None)
    # Any year may be asked for (a link from last year's list); the menu offers the years with entries.
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100, widget=forms.Select)
    kind = forms.ChoiceField(label=_("决定种类"), required=False)

    def __init__(self, data, *, villages, years):
        super().__init__(data)
        everything = [("", _("全部"))]
        self.fields["village"].choices = everything + villages
        self.fields["year"].widget.choices = everything + [(year, str(year)) for year in years]
        self.fields["kind"].choices = everything + [(kind, DocumentKind(kind).label) for kind in PUBLISHED_KINDS]


@require_safe
def decisions(request, code):
    """事后公开: the published decisions, newest first, by village, year and kind; 20 a page."""
    jurisdiction = selectors.jurisdiction_by_code(code)
    etag = caching.etag(jurisdiction.pk, selectors.version(jurisdiction), request.GET.urlencode())
    cached = caching.not_modified(request, etag)
    if cached is not None:
        return cached
    html = cache.get(f"gongshi:{etag}")
    if html is not None:  # another visitor's copy of the same page, still current (the ETag names the entries' state)
        return caching.public(HttpResponse(html), etag)
    with translation.override(caching.PUBLIC_LANGUAGE):
        villages, years = selectors.search_choices(jurisdiction)
        form = SearchForm(request.GET, villages=villages, years=years)
        # An unknown value (a stale link, a hand-made URL) shows every entry and says which field was wrong.
        chosen = form.cleaned_data if form.is_valid() else {}
        entries = selectors.search(jurisdiction, village=chosen.get("village"), year=chosen.get("year"),
                                   kind=chosen.get("kind"))
        page = Paginator(entries.values(*LIST_FIELDS), PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        html = render_to_string("disclosure/decisions.html", {
            "jurisdiction": jurisdiction, "form": form, "page": page, "rows": _rows(page), "query": query.urlencode(),
            "withdrawn_line": gettext("该决定已被撤销，已于 %(date)s 撤回公示。"),
        }, request=request)
    cache.set(f"gongshi:{etag}", html, caching.MAX_AGE)
    return caching.public(HttpResponse(html), etag)


# The columns the list shows (never the document, the case or who held an entry back).
LIST_FIELDS = ("pk", "kind", "number", "decided_on", "village_name", "party", "category", "facts", "legal_basis",
               "decision", "status", "published_at", "withdrawn_at")


def _day(value):
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def _rows(page):
    """The page's entries as plain text, labels and dates made once here: a label looked up per row in the template
    (translation, time zone and date format each read thread-locals) cost ten times the rest of the page."""
    kinds, categories, statuses = ({value: str(label) for value, label in choices} for choices in (
        DocumentKind.choices, Category.choices, DecisionStatus.choices))
    zone = timezone.get_current_timezone()
    return [{**row, "kind_label": kinds.get(row["kind"], row["kind"]),
             "category_label": categories.get(row["category"], ""), "status_label": statuses.get(row["status"], row["status"]), "decided": _day(row["decided_on"]),
             "published": _day(row["published_at"].astimezone(zone)) if row["published_at"] else "",
             "withdrawn": _day(row["withdrawn_at"].astimezone(zone)) if row["withdrawn_at"] else ""}
            for row in page.object_list]
