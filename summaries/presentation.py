"""How a summary reads to people (emails and pages): KPI labels, number formats, subjects and the page context."""
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy, pgettext_lazy

from patrol.choices import Category
from summaries.models import Summary


KPI_LABELS = {
    "new_findings": gettext_lazy("新发现线索"),
    "filed": pgettext_lazy("a count of cases", "立案"),  # "Filed", not the action "File"
    "closed": gettext_lazy("结案"),
    "rectification_rate": gettext_lazy("整改率"),
    "on_time_rate": gettext_lazy("按期结案率"),
    "overdue_now": gettext_lazy("当前逾期"),
    "demolished_area_m2": gettext_lazy("拆除面积（㎡）"),
    "mean_days_to_close": gettext_lazy("平均办结天数"),
    "patrols": gettext_lazy("巡查次数"),
    "patrol_km": gettext_lazy("巡查里程（公里）"),
    "villages_not_patrolled": gettext_lazy("近7日未巡查村"),
    # 执法公示 (disclosure.kpis): decisions published within their window ÷ due, and holds past the last day.
    "disclosure_rate": gettext_lazy("公示及时率"),
    "disclosure_held_overdue": gettext_lazy("暂缓公示超期"),
}
OVERALL_KPIS = list(KPI_LABELS)
CASE_KPIS = ["new_findings", "filed", "closed", "rectification_rate", "on_time_rate", "overdue_now",
             "demolished_area_m2", "mean_days_to_close"]
GROUP_KPIS = {"by_village": CASE_KPIS + ["patrols"], "by_category": CASE_KPIS,
              "by_inspector": CASE_KPIS + ["patrols", "patrol_km"]}
GROUP_TITLES = {"by_village": gettext_lazy("分村情况"), "by_category": gettext_lazy("分类别情况"),
                "by_inspector": gettext_lazy("分执法队员情况")}
PERCENT_KPIS = {"rectification_rate", "on_time_rate", "disclosure_rate"}


def format_value(key, value):
    if value is None:
        return "—"
    if key in PERCENT_KPIS:
        return f"{value:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def format_change(key, value):
    if value is None:
        return "—"
    if value == 0:
        return "0"
    text = f"{value:+.1f}" if isinstance(value, float) else f"{value:+d}"
    return text


def overall_rows(numbers):
    overall = numbers["overall"]
    return [{"key": key, "label": KPI_LABELS[key],
             "current": format_value(key, overall["current"].get(key)),
             "previous": format_value(key, overall["previous"].get(key)),
             "change": format_change(key, overall["change"].get(key))} for key in OVERALL_KPIS]


def group_tables(numbers):
    """The three breakdowns as tables: a title, column labels, and rows of (value, change) cells."""
    tables = []
    for dimension, keys in GROUP_KPIS.items():
        rows = []
        for entry in numbers[dimension]:
            name = Category(entry["id"]).label if dimension == "by_category" else entry["name"]
            rows.append({"name": name, "flag": dimension == "by_village" and not entry.get("patrolled_recently"),
                         "cells": [{"label": KPI_LABELS[key], "value": format_value(key, entry["current"].get(key)),
                                    "change": format_change(key, entry["change"].get(key))} for key in keys]})
        tables.append({"key": dimension, "title": GROUP_TITLES[dimension],
                       "columns": [KPI_LABELS[key] for key in keys], "rows": rows})
    return tables


SUBJECTS = {
    ("campaign", Summary.Kind.DAILY): gettext_lazy("%(jurisdiction)s「%(campaign)s」日报（%(start)s 至 %(end)s）"),
    ("campaign", Summary.Kind.WEEKLY): gettext_lazy("%(jurisdiction)s「%(campaign)s」周报（%(start)s 至 %(end)s）"),
    ("campaign", Summary.Kind.MONTHLY): gettext_lazy("%(jurisdiction)s「%(campaign)s」月报（%(start)s 至 %(end)s）"),
    ("campaign", Summary.Kind.CLOSEOUT): gettext_lazy("%(jurisdiction)s「%(campaign)s」总结报告（%(start)s 至 %(end)s）"),
    ("campaign", Summary.Kind.ON_DEMAND): gettext_lazy("%(jurisdiction)s「%(campaign)s」汇总（%(start)s 至 %(end)s）"),
    ("jurisdiction", Summary.Kind.DAILY): gettext_lazy("%(jurisdiction)s 巡查执法日报（%(start)s 至 %(end)s）"),
    ("jurisdiction", Summary.Kind.WEEKLY): gettext_lazy("%(jurisdiction)s 巡查执法周报（%(start)s 至 %(end)s）"),
    ("jurisdiction", Summary.Kind.MONTHLY): gettext_lazy("%(jurisdiction)s 巡查执法月报（%(start)s 至 %(end)s）"),
    ("jurisdiction", Summary.Kind.CLOSEOUT): gettext_lazy("%(jurisdiction)s 巡查执法总结（%(start)s 至 %(end)s）"),
    ("jurisdiction", Summary.Kind.ON_DEMAND): gettext_lazy("%(jurisdiction)s 巡查执法汇总（%(start)s 至 %(end)s）"),
}


def summary_title(summary):
    """The subject line, in the active language."""
    template = SUBJECTS[("campaign" if summary.campaign_id else "jurisdiction", summary.kind)]
    # A campaign's summary names the campaign: a team runs several at once, and their emails must not look alike.
    return str(template) % {"jurisdiction": summary.jurisdiction.name, "start": summary.period_start.isoformat(),
                            "end": summary.period_end.isoformat(),
                            "campaign": summary.campaign.name if summary.campaign_id else ""}


def summary_context(summary):
    """What the email and the page show of a built summary."""
    numbers = summary.numbers
    return {
        "summary": summary,
        "title": summary_title(summary),
        "scope_name": numbers["scope"]["name"],
        "numbers": numbers,
        "overall": overall_rows(numbers),
        "tables": group_tables(numbers),
        "overdue_cases": numbers["overdue_cases"],
        "overdue_more": max(0, numbers["overall"]["current"]["overdue_now"] - len(numbers["overdue_cases"])),
        "villages_not_patrolled": numbers["villages_not_patrolled"],
        "ledger_rows": summary.files.get("ledger_rows"),
        # A ledger too large to mail is linked instead (and may still be being built: ledger_pending).
        "ledger_in_email": summary.files.get("ledger_in_email", True),
        "ledger_pending": bool(summary.files.get("ledger_pending")),
        "ledger_url": settings.SITE_URL + reverse("summary-file", args=[summary.pk, "ledger"]),
        "summary_path": reverse("summary", args=[summary.pk]),
    }
