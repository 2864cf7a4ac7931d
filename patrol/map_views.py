"""The supervisor map page (landing page of supervisors, legal reviewers and leaders).

The page renders the frame: the filters as a plain GET form filled from the query string, the KPI strip for
those filters, the to-do list and the map's settings. static/js/map.js draws the rest from the map API, so
markers, boundaries and filters keep working when map tiles cannot load.
"""
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import models
from django.db.models import F, Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from patrol import kpis, rollup, selectors
from patrol.filters import CaseFilter
from patrol.choices import PRE_DECISION_STATUSES, Category, Role, Stage, Status
from patrol.models import User, overdue_q

# The 待办 list is paged (the badge counts all of it).
TODO_PAGE_SIZE = 20
# The list beside the map starts by deadline (api.map orders open cases first for it).
MAP_LIST_ORDERING = "deadline"
FILTER_NAMES = ("status", "overdue", "late", "village", "campaign", "inspector", "category", "stage", "reported_from",
                "reported_to", "q")


@login_required
def map_page(request):
    user = request.user
    today = timezone.localdate()
    cases = selectors.cases_for(user)
    filterset = CaseFilter(request.GET, queryset=cases, request=request)
    filters_valid = filterset.is_valid()
    villages = list(selectors.villages_for(user).values_list("id", "name"))
    campaigns = list(selectors.campaigns_for(user).values_list("id", "name"))
    inspectors = selectors.field_users(user.jurisdiction_id) if user.jurisdiction_id else User.objects.none()
    return render(request, "gis/map.html", {
        "kpi": kpis.case_kpis(filterset.qs if filters_valid else cases, today,
                              now_counts=_rollup_counts(request, user, filters_valid, today),
                              filed=_rollup_filings(request, user, filters_valid, today)),
        "filters_valid": filters_valid,
        "selected": {name: request.GET.getlist(name) if name in ("status", "category") else request.GET.get(name, "")
                     for name in FILTER_NAMES},
        "active_filter_count": sum(1 for name in FILTER_NAMES if any(request.GET.getlist(name))),
        "todo": _todo_cases(user, cases, today, request.GET.get("todo_page")),
        "todo_query": _without(request.GET, "todo_page"),
        "choices": {
            "statuses": Status.choices,
            "categories": Category.choices,
            "stages": Stage.choices,
            "villages": villages,
            "campaigns": campaigns,
            "inspectors": [(u.pk, u.display_name) for u in inspectors],
        },
        "map_config": _map_config(user, villages),
    })


def _whole_jurisdiction(request, user, filters_valid):
    """The user's jurisdiction when no filter narrows the map and patrol.rollup can answer for all of it, else None."""
    narrowed = filters_valid and any(request.GET.getlist(name) for name in FILTER_NAMES)
    if narrowed or user.jurisdiction_id is None or not rollup.available():
        return None
    return user.jurisdiction_id


def _rollup_counts(request, user, filters_valid, today):
    """Counts by status and overdue of the whole jurisdiction from patrol.rollup when no filter narrows them."""
    jurisdiction_id = _whole_jurisdiction(request, user, filters_valid)
    return None if jurisdiction_id is None else rollup.totals(jurisdiction_id, today)


def _rollup_filings(request, user, filters_valid, today):
    """This month's filings of the whole jurisdiction (filed, and closed since) from patrol.rollup, likewise."""
    jurisdiction_id = _whole_jurisdiction(request, user, filters_valid)
    return None if jurisdiction_id is None else rollup.filings(jurisdiction_id, kpis.this_month(today))


def _todo_cases(user, cases, today, page_number=None):
    """What waits for this role, most urgent first: overdue cases, then late ones (filed longer ago than the
    decision period without a decision, DOMAIN.md), then by deadline; one page of it, with the true count.
    Supervisors: filing and the steps that are theirs; legal review: escalations; leaders: overdue and late."""
    overdue = overdue_q(today)
    period = user.jurisdiction.decision_period_days if user.jurisdiction_id else 90
    late = Q(status__in=PRE_DECISION_STATUSES, filing__created_at__lt=timezone.now() - timezone.timedelta(days=period))
    if user.role == Role.SUPERVISOR:
        waiting = Q(status__in=[Status.REPORTED, Status.DECIDED, Status.ENFORCEMENT_DECIDED, Status.ANNOUNCED,
                                  Status.COURT_GRANTED, Status.EXECUTED]) | overdue | late
    elif user.role == Role.LEGAL_REVIEWER:
        waiting = Q(status=Status.IN_REVIEW)
    else:
        waiting = overdue | late
    todo = (kpis.with_filing(cases).filter(waiting)
            .annotate(urgency=models.Case(models.When(overdue, then=0), models.When(late, then=1), default=2,
                                          output_field=models.IntegerField()))
            .select_related("village")
            .order_by("urgency", F("deadline").asc(nulls_last=True), "created_at", "pk"))
    return Paginator(todo, TODO_PAGE_SIZE).get_page(page_number)


def _without(query, name):
    """The query string without ``name`` (the 待办 pages keep the filters of the map beside them)."""
    query = query.copy()
    query.pop(name, None)
    return query.urlencode()


def _map_config(user, villages):
    """What map.js needs besides the URLs and base maps every page has (patrol/frontend.py), handed over with
    json_script (no inline script under our CSP)."""
    boundary = user.jurisdiction.boundary if user.jurisdiction_id else None
    bounds = None
    if boundary is not None and not boundary.empty:
        west, south, east, north = boundary.extent
        bounds = [[south, west], [north, east]]
    return {
        "bounds": bounds,
        "list_ordering": MAP_LIST_ORDERING,
        "statuses": dict(Status.choices),
        "categories": dict(Category.choices),
        "villages": {str(pk): name for pk, name in villages},
        "text": {
            "layer_cases": _("案件"),
            "layer_villages": _("村界"),
            "layer_campaigns": _("专项整治范围"),
            "layer_tracks": _("巡查轨迹（近7天）"),
            "layer_heat": _("热力图"),
            "tiles_failed": _("底图加载失败（可能没有网络）；案件、村界和筛选仍可使用。"),
            "dismiss": _("点击关闭"),
            "load_failed": _("数据加载失败：%(message)s"),
            "throttled": _("请求过于频繁，%(seconds)s 秒后自动重试"),
            "loading": _("正在加载…"),
            "overdue": _("逾期"),
            "overdue_count": _("逾期 %(count)s 件"),
            "cluster_title": _("%(count)s 件案件，点击放大"),
            "not_patrolled": _("7天未巡查"),
            "last_patrol": _("最近巡查：%(when)s"),
            "never_patrolled": _("没有巡查记录"),
            "deadline": _("整改期限"),
            "no_deadline": _("未设期限"),
            "village": _("行政村"),
            "category": _("类别"),
            "address": _("地址"),
            "address_line": _("地址：%(address)s"),
            "open_case": _("打开案件"),
            "photo_of": _("%(reference)s 的照片"),
            "no_photo": _("暂无照片"),
            "view_photos": _("查看照片（%(count)s 张）"),
            "list_summary": _("当前视图 %(total)s 件"),
            "list_truncated": _("当前视图 %(total)s 件，列出前 %(shown)s 件"),
            "list_clusters": _("当前视图 %(total)s 件（已聚合显示），列出前 %(shown)s 件"),
            "list_empty": _("当前视图没有符合条件的案件"),
            "patrol_by": _("巡查人：%(name)s"),
            "patrol_distance": _("里程 %(km)s 公里"),
            "campaign_period": _("%(start)s 至 %(end)s"),
            "show_list": _("列表"),
            "hide_list": _("收起"),
        },
    }
