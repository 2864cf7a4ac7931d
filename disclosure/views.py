"""The public pages of 执法公示 (国办发〔2018〕118号): no login, server-rendered, in Chinese, no script.

``/gongshi/<code>/`` 事前公开 (the body, its officers, duties, legal bases, the procedure, remedies),
``/gongshi/<code>/decisions/`` 事后公开 (the published decisions, searchable and paged) and ``feed.atom``.

They are shared-cacheable: ``Cache-Control: public`` with an ETag, and a repeat with ``If-None-Match`` answers 304
before anything is rendered (the decisions' ETag comes from the one query that reads the jurisdiction). So they
touch neither the session nor the CSRF token (disclosure/base.html has no user menu and no form that posts), and
always render in Chinese, whatever the visitor's language: the response does not vary by visitor.
"""
import functools
import hashlib
from html import escape  # Django's escape is this behind a lazy-string check, hundreds of times a page

from django import forms
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_noop
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
            "today": today, "current": "before",
        })
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
    """事后公开: the published decisions, newest first, by village, year and kind; 20 a page, the next and previous
    pages by cursor (``after`` / ``before``: where the page starts in the list's order).

    Two queries whatever the number of entries and however deep the page: the jurisdiction with all the page needs
    before its rows (selectors.listing_jurisdiction: the ETag's parts, the years and villages of the search form) —
    all a repeat that sends the ETag costs (304) —, then the page's rows (selectors.page_of). The
    entries reach the template as HTML made from escaped text (_entries_html), the search controls as plain lists
    (_controls). No copy of the page is kept on the server: fetching one from Redis would be a round trip like
    the rows' query it saves, and browsers and shared caches keep the page (``Cache-Control: public``)."""
    jurisdiction = selectors.listing_jurisdiction(code)
    etag = caching.etag(jurisdiction.pk, jurisdiction.name, jurisdiction.entries_version, jurisdiction.villages_json,
                        request.GET.urlencode())
    cached = caching.not_modified(request, etag)
    if cached is not None:
        return cached
    with translation.override(caching.PUBLIC_LANGUAGE):
        form = SearchForm(request.GET, villages=jurisdiction.village_choices,
                          years=selectors.year_choices(jurisdiction))
        # An unknown value (a stale link, a hand-made URL) shows every entry and says which field was wrong.
        chosen = form.cleaned_data if form.is_valid() else {}
        rows = selectors.search(jurisdiction, village=chosen.get("village"), year=chosen.get("year"),
                                kind=chosen.get("kind"), fields=LIST_FIELDS)
        page = selectors.page_of(rows, size=PAGE_SIZE, after=request.GET.get("after"), before=request.GET.get("before"))
        query = request.GET.copy()
        for cursor in ("after", "before", "page"):  # "page": the page numbers of earlier links
            query.pop(cursor, None)
        query = query.urlencode()
        html = render_to_string("disclosure/decisions.html", {
            "jurisdiction": jurisdiction, "controls": _controls(form), "page": page, "entries": _entries_html(page),
            "newer_url": _page_url(query, "before", page.newer), "older_url": _page_url(query, "after", page.older),
            "current": "decisions",
        })
    return caching.public(HttpResponse(html), etag)


# The columns the list shows (never the document, the case or who held an entry back).
LIST_FIELDS = ("pk", "kind", "number", "decided_on", "village_name", "party", "category", "facts", "legal_basis",
               "decision", "status", "published_at", "withdrawn_at")


def _controls(form):
    """The search form's selects, their options as HTML made here from escaped text: Django renders each <option>
    through its own widget templates, which cost more than the twenty entries of the page."""
    controls = []
    for field in form:
        chosen = str(field.value() if field.value() is not None else "")
        options = "".join(OPTION.format(value=escape(str(value)), selected=" selected" if str(value) == chosen else "",
                                        label=escape(str(label))) for value, label in field.field.widget.choices)
        controls.append({"name": field.html_name, "id": field.auto_id, "label": field.label, "errors": field.errors,
                         "options": mark_safe(options)})  # every value in it is escaped
    return controls


OPTION = '<option value="{value}"{selected}>{label}</option>'


def _page_url(query, name, cursor):
    if cursor is None:
        return None
    return f"?{query}&{name}={cursor}" if query else f"?{name}={cursor}"


def _day(value):
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


# One entry of the list. The entries are put together here from escaped text, not by the template engine: twenty
# entries of a dozen fields each, printed through Django templates (a context lookup, a localisation check and an
# escape per value), cost more than all the rest of the page (bench/public_disclosure.py).
ENTRY = '<li id="d{pk}" class="card">\n  <h2>{kind}<br><small>{number}</small></h2>\n  {body}\n</li>\n'
WITHDRAWN = '<p class="notice">{line}</p>'
STATUS = '<span class="badge status-{status}">{label}</span>'
# The facts of an entry: (label, the row's value it shows), in order.
FACTS = ((gettext_noop("决定日期"), "decided"), (gettext_noop("当事人"), "party"), (gettext_noop("行政村"), "village"),
         (gettext_noop("违法类别"), "category"), (gettext_noop("违法事实"), "facts"),
         (gettext_noop("法律依据"), "legal_basis"), (gettext_noop("决定内容"), "decision"),
         (gettext_noop("决定状态"), "status"), (gettext_noop("公示日期"), "published"))


@functools.lru_cache(maxsize=4)
def _words(language):
    """The list's labels in ``language`` (the current one), looked up once per process, and the facts of an entry
    as one format string with its labels in."""
    kinds, categories, statuses = ({value: str(label) for value, label in choices} for choices in (
        DocumentKind.choices, Category.choices, DecisionStatus.choices))
    facts = '<dl class="facts">' + "".join(
        f"<dt>{escape(gettext(label)).replace('{', '{{').replace('}', '}}')}</dt><dd>{{{name}}}</dd>"
        for label, name in FACTS) + "</dl>"
    return kinds, categories, statuses, facts, gettext("该决定已被撤销，已于 %(date)s 撤回公示。")


def _entries_html(page):
    """The page's entries as HTML, labels and dates made once for the page (a label looked up per entry reads
    translation, time zone and format thread-locals each time)."""
    kinds, categories, statuses, facts, withdrawn_line = _words(translation.get_language())
    zone = timezone.get_current_timezone()
    entries = []
    for row in page.rows:
        if row["withdrawn_at"]:
            body = WITHDRAWN.format(line=escape(withdrawn_line % {"date": _day(row["withdrawn_at"].astimezone(zone))}))
        else:
            body = facts.format(
                decided=_day(row["decided_on"]), party=escape(row["party"] or "—"),
                village=escape(row["village_name"] or "—"), category=escape(categories.get(row["category"]) or "—"),
                facts=escape(row["facts"]), legal_basis=escape(row["legal_basis"]), decision=escape(row["decision"]),
                status=STATUS.format(status=escape(row["status"]),
                                     label=escape(statuses.get(row["status"], row["status"]))),
                published=_day(row["published_at"].astimezone(zone)) if row["published_at"] else "")
        entries.append(ENTRY.format(pk=int(row["pk"]), kind=escape(kinds.get(row["kind"], row["kind"])),
                                    number=escape(row["number"]), body=body))
    return mark_safe("".join(entries))  # every value above is escaped (_day's are digits and 年月日)
