import shutil
import subprocess
from datetime import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from documents.services import issue_document
from patrol import workflow
from patrol.models import Case
from tests.factories import finding
from tests.object_storage import object_storage, seaweed  # noqa: F401 - fixtures of the object-storage tests

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")


def at(year, month, day, hour=10):
    return timezone.make_aware(datetime(year, month, day, hour))


def pdf_text(data, tmp_path, name="doc.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def flat(text):
    """Text without whitespace: pdftotext breaks CJK lines wherever the layout wrapped them."""
    return "".join(text.split())


def pdf_fonts(data, tmp_path):
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def filed_case(users, media):
    """A filed case with a party, an area and floors, reported on 2026-03-02 in 东村."""
    case, _ = workflow.report_finding(
        actor=users["inspector"], now=at(2026, 3, 2, 9),
        **finding(party_name="张三", party_phone="13800000000", estimated_area_m2="86.5", floors=2,
                  structure="brick_concrete", address="村东头12号"))
    workflow.file_case(case_id=case.pk, actor=users["supervisor"], legal_basis="planning_art65", note="符合立案条件", now=at(2026, 3, 2, 14))
    return Case.objects.select_related("jurisdiction", "village").get(pk=case.pk)


def issue(case, kind, actor, content=None, now=None, **kwargs):
    """Issue as an action would: in a transaction, with the case row locked."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("jurisdiction").get(pk=case.pk)
        return issue_document(case=locked, kind=kind, content=content or {}, actor=actor, now=now, **kwargs)
