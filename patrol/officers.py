"""Officers (执法人员) and their certificates (执法证).

行政处罚法 第42条: an administrative penalty is carried out by officers qualified for enforcement, never
fewer than two; 第55条: they show their certificates. So every on-site record (现场检查（勘验）笔录) and
interview (询问笔录) names two distinct officers whose certificates are valid on the day of the record.
"""
from datetime import date

from django.utils.translation import gettext as _

from patrol.errors import RuleViolation


def certificate_problem(officer, on_date: date) -> str | None:
    """Why ``officer`` cannot act as an officer on ``on_date``, or None."""
    if not officer.certificate_number:
        return _("%(name)s 没有登记执法证") % {"name": officer}
    if officer.certificate_valid_until is None or officer.certificate_valid_until < on_date:
        return _("%(name)s 的执法证（%(number)s）在 %(date)s 已不在有效期内") % {
            "name": officer, "number": officer.certificate_number, "date": on_date.isoformat()}
    return None


def check_two_officers(officers, on_date: date) -> None:
    """Refuse (409) a record that does not name two distinct officers with valid certificates (第42条)."""
    distinct = list({officer.pk: officer for officer in officers}.values())
    if len(distinct) < 2:
        raise RuleViolation(_("执法人员不得少于两人（行政处罚法 第42条）"),
                            fields={"officers": [_("请选择两名执法人员")]})
    problems = [problem for problem in (certificate_problem(o, on_date) for o in distinct) if problem]
    if problems:
        raise RuleViolation(_("执法人员须持有有效执法证（行政处罚法 第42条）：%(problems)s") % {
            "problems": "；".join(problems)}, fields={"officers": problems})
