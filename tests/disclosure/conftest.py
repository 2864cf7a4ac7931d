"""Decisions to publish: a case of the test jurisdiction with a party, a phone and a house number, and its
decision issued through documents.services.issue_document as the case actions issue it."""
from datetime import date, datetime

import pytest
from django.db import transaction
from django.utils import timezone

from documents.choices import DocumentKind
from documents.services import issue_document
from patrol import workflow
from patrol.choices import LegalBasis, Status
from patrol.models import Case
from tests.factories import finding

K = DocumentKind


def at(year, month, day, hour=10, minute=0):
    return timezone.make_aware(datetime(year, month, day, hour, minute))


def on(moment):
    return timezone.localdate(moment)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def public_jurisdiction(jurisdiction):
    jurisdiction.public_address = "测试县测试镇政府路1号"
    jurisdiction.public_phone = "0471-6612345"
    jurisdiction.reconsideration_body = "测试县人民政府"
    jurisdiction.court = "测试县人民法院"
    jurisdiction.legal_bases = [LegalBasis.PLANNING_ART65, LegalBasis.LAND_ART78]
    jurisdiction.save()
    return jurisdiction


def decide(users, *, kind=K.DEMOLITION_DECISION, when=None, party="张三", phone="13800000000",
           address="村东头12号", description="在院外加盖彩钢房，当事人张三电话13800000000", actor="supervisor",
           location=None, campaign=None):
    """A filed case of ``users[actor]``'s jurisdiction put in ``decided`` with its decision of ``kind`` issued at
    ``when`` (as the decision step would; the earlier steps are not what is tested here)."""
    when = when or at(2026, 3, 31)
    reported = timezone.make_aware(datetime.combine(date(when.year, when.month, 1), datetime.min.time()))
    extra = {"location": location} if location else {}
    if campaign is not None:
        extra["campaign"] = campaign
    case, _ = workflow.report_finding(actor=users[actor], now=reported, **finding(
        party_name=party, party_phone=phone, address=address, description=description, **extra))
    workflow.file_case(case_id=case.pk, actor=users[actor], legal_basis=LegalBasis.PLANNING_ART65,
                       note="符合立案条件", now=reported)
    Case.objects.filter(pk=case.pk).update(status=Status.DECIDED, legal_basis=LegalBasis.PLANNING_ART65)
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("jurisdiction").get(pk=case.pk)
        return issue_document(case=locked, kind=kind, content={}, actor=users[actor], period_days=10, now=when)
