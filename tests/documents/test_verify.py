"""manage.py verify_events re-hashes every issued document's PDF against the SHA-256 the record holds."""
import io

import pytest
from django.core.management import CommandError, call_command

from documents.choices import DocumentKind
from tests.documents.conftest import at, issue

pytestmark = [pytest.mark.django_db]


def verify():
    out = io.StringIO()
    call_command("verify_events", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_verify_events_counts_the_documents_and_passes_when_intact(filed_case, users):
    issue(filed_case, DocumentKind.RECTIFICATION_ORDER, users["supervisor"], now=at(2026, 3, 3))
    assert "2 份文书，发现 0 处问题" in verify()  # the 立案审批表 of filing, and the order


def test_verify_events_names_a_document_whose_pdf_was_replaced(filed_case, users):
    document = issue(filed_case, DocumentKind.RECTIFICATION_ORDER, users["supervisor"], now=at(2026, 3, 3))
    # Outside the database (the triggers guard the row): someone swaps the file in storage.
    with open(document.pdf.path, "wb") as stored:
        stored.write(b"%PDF-1.7 another document")
    with pytest.raises(CommandError) as failed:
        verify()
    assert f"文书 {document.number}（案件 {filed_case.reference}）" in str(failed.value)
    assert "SHA-256 不符" in str(failed.value)
