"""执法公示 in the demo (``manage.py seed_demo`` calls ``seed_disclosures``): the public details of the demo
jurisdictions, then the entries of the demo's decisions published as the daily run would have published them —
the morning after each decision — so the public pages and 公示及时率 read as in a team that runs the beat."""
from datetime import datetime, time, timedelta

from django.utils import timezone

from disclosure import services
from disclosure.models import PublishedDecision
from gis.models import Jurisdiction

PUBLIC_DETAILS = {
    "LWG": {"public_address": "龙王沟乡村振兴示范区管理委员会（示例地址）", "public_phone": "0471-0000000（示例）",
            "duties": "负责本辖区乡村建设规划许可证的监督检查\n依法查处未取得或者未按照乡村建设规划许可证规定进行建设的行为\n"
                      "对逾期不改正的违法建设依法作出限期拆除决定并组织实施"},
    "DEMO2": {"public_address": "试验镇人民政府（示例地址）", "public_phone": "0471-0000001（示例）"},
}


def seed_disclosures(now=None, stdout=None):
    """Fill the demo jurisdictions' public details (once: an admin's edits stay) and publish the decisions."""
    now = now or timezone.now()
    for code, details in PUBLIC_DETAILS.items():
        jurisdiction = Jurisdiction.objects.filter(code=code).first()
        if jurisdiction is not None and not jurisdiction.public_address:
            for field, value in details.items():
                setattr(jurisdiction, field, value)
            jurisdiction.save(update_fields=list(details))
    services.register_decisions(now)
    days = sorted(set(PublishedDecision.objects.pending().values_list("decided_on", flat=True)))
    for day in days:
        services.publish_pending(timezone.make_aware(datetime.combine(day + timedelta(days=1), time(6, 0))))
    result = services.run_daily(now)
    if stdout:
        stdout.write(f"  执法公示: {PublishedDecision.objects.public().count()} decisions public ({result})")
    return result
