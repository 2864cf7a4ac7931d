"""The ledger page (台账): the jurisdiction's cases as a table with the list's filters, sorting and exports."""
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exports import formats, services
from exports.selectors import own_jobs
from patrol import rollup, selectors
from patrol.filters import CaseFilter
from patrol.ordering import order_cases, valid_ordering
from patrol.choices import Category, Stage, Status

PAGE_SIZE = 50

# The table's columns: (ordering key or None, header). The sortable ones are keys of patrol.ordering.CASE_ORDERINGS.
TABLE_COLUMNS = [
    ("reference", _("编号")),
    ("village", _("村")),
    (None, _("地址")),
    (None, _("当事人")),
    (None, _("类别")),
    (None, _("面积（㎡）")),
    ("created_at", _("发现日期")),
    ("status", _("状态")),
    ("deadline", _("整改期限")),
    (None, _("结案方式")),
    (None, _("责任人")),
]

# What a row of the table shows: the columns of TABLE_COLUMNS and no more (no geometry, no village boundary).
ROW_FIELDS = ("id", "reference", "address", "party_name", "category", "estimated_area_m2", "created_at", "status",
              "deadline", "resolution", "village__name", "responsible__last_name", "responsible__first_name",
              "responsible__username")


def table_rows(cases, ordering):
    """The ledger's rows in ``ordering``, with only the columns the table shows: select_related alone loaded each
    case's location and its village's boundary (a multipolygon per row)."""
    return order_cases(cases, ordering).select_related("village", "responsible").only(*ROW_FIELDS)


EXPORT_LINKS = [("xlsx", "Excel"), ("csv", "CSV"), ("geojson", "GeoJSON"), ("kml", _("KML（奥维/谷歌地球）"))]


@login_required
def ledger_page(request):
    user = request.user
    filterset = CaseFilter(request.GET, queryset=selectors.cases_for(user))
    # Invalid values are named on the form and ignored, as the list ignores nothing but says why.
    filterset.is_valid()
    ordering = valid_ordering(request.GET.get("ordering"))
    cases = table_rows(filterset.qs, ordering)
    # Filters and ordering, without the page: what the sort links, the pages and the exports carry.
    query = QueryDict(services.ledger_query(request.GET), mutable=True)
    paginator = Paginator(cases, PAGE_SIZE)
    if user.jurisdiction_id and not any(key != "ordering" for key in query) and rollup.available():
        # The whole ledger: its size from the map's rollup (a few hundred rows) instead of COUNT(*) over the cases.
        by_status, _overdue = rollup.totals(user.jurisdiction_id, timezone.localdate())
        paginator.count = sum(by_status.values())
    page = paginator.get_page(request.GET.get("page"))
    job_id = request.GET.get("job", "")
    job = own_jobs(user).select_related("jurisdiction").filter(pk=job_id).first() if job_id.isdigit() else None
    jurisdiction_id = user.jurisdiction_id
    context = {
        "page": page,
        "columns": [_column(key, label, ordering, query) for key, label in TABLE_COLUMNS],
        "exports": [(fmt, label, _with_query(reverse("api-cases-export", args=[fmt]), query))
                    for fmt, label in EXPORT_LINKS],
        "large": page.paginator.count > services.sync_limit(),
        "sync_limit": services.sync_limit(),
        "job": job,
        "job_filename": formats.export_filename(job.jurisdiction.code, job.format, timezone.localdate(job.created_at))
        if job else "",
        "query": query,
        "errors": [(filterset.form.fields[name].label, messages) for name, messages in filterset.form.errors.items()
                   if name in filterset.form.fields],
        "selected": {
            "q": request.GET.get("q", ""),
            "status": request.GET.getlist("status"),
            "category": request.GET.getlist("category"),
            "overdue": request.GET.get("overdue", ""),
            "village": request.GET.get("village", ""),
            "stage": request.GET.get("stage", ""),
            "campaign": request.GET.get("campaign", ""),
            "inspector": request.GET.get("inspector", ""),
            "reported_from": request.GET.get("reported_from", ""),
            "reported_to": request.GET.get("reported_to", ""),
        },
        "filtered": any(key != "ordering" for key in query),
        "choices": {
            "status": Status.choices,
            "category": Category.choices,
            "stage": Stage.choices,
            "villages": [(str(pk), name) for pk, name in selectors.villages_for(user).values_list("pk", "name")],
            "campaigns": [(str(pk), name) for pk, name in selectors.campaigns_for(user).values_list("pk", "name")],
            "inspectors": [(str(person.pk), person.display_name) for person in selectors.field_users(jurisdiction_id)]
            if jurisdiction_id else [],
        },
    }
    return render(request, "exports/ledger.html", context)


def _with_query(url, query):
    return f"{url}?{query.urlencode()}" if query else url


def _column(key, label, ordering, query):
    column = {"label": label, "key": key, "sort": None, "url": None}
    if key is None:
        return column
    if ordering.lstrip("-") == key:
        column["sort"] = "descending" if ordering.startswith("-") else "ascending"
        following = key if ordering.startswith("-") else f"-{key}"
    else:
        following = key
    sorted_query = query.copy()
    sorted_query["ordering"] = following
    column["url"] = f"?{sorted_query.urlencode()}"
    return column
