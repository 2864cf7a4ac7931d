"""The database itself keeps issued documents and service records as they were (raw SQL here)."""
from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction

from documents.choices import DocumentKind
from patrol.choices import ServiceMethod
from documents.models import Document, ServiceRecord
from documents.services import record_postal_receipt, record_service
from tests.documents.conftest import at, issue

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture
def order(filed_case, users):
    return issue(filed_case, DocumentKind.RECTIFICATION_ORDER, users["supervisor"], now=at(2026, 3, 3))


def refused(sql, params):
    with pytest.raises(DatabaseError) as caught:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    return str(caught.value)


@pytest.mark.parametrize("column, value", [
    ("number", "TST〔2026〕限改字第99号"),
    ("content", '{"party": {"name": "李四"}}'),
    ("sha256", "0" * 64),
    ("pdf", "documents/other.pdf"),
    ("issued_on", "2026-01-01"),
    ("deadline", "2027-01-01"),
])
def test_database_refuses_to_change_an_issued_document(order, column, value):
    assert "cannot be changed" in refused(f"UPDATE documents_document SET {column} = %s WHERE id = %s",
                                          [value, order.pk])
    assert Document.objects.get(pk=order.pk).number == order.number


def test_database_refuses_to_delete_an_issued_document(order):
    assert "append-only" in refused("DELETE FROM documents_document WHERE id = %s", [order.pk])
    assert Document.objects.filter(pk=order.pk).exists()


def test_database_refuses_to_change_or_delete_a_service(order, users):
    service = record_service(document_id=order.pk, actor=users["supervisor"], method=ServiceMethod.LEFT_AT_PREMISES,
                             served_on=date(2026, 3, 3), witness_name="村委会主任", now=at(2026, 3, 4))
    assert "cannot be changed" in refused("UPDATE documents_servicerecord SET served_on = %s WHERE id = %s",
                                          ["2026-03-01", service.pk])
    assert "cannot be changed" in refused("UPDATE documents_servicerecord SET effective_on = %s WHERE id = %s",
                                          ["2026-03-10", service.pk])
    assert "append-only" in refused("DELETE FROM documents_servicerecord WHERE id = %s", [service.pk])
    # Its receipt is an issued document like any other.
    assert "append-only" in refused("DELETE FROM documents_document WHERE id = %s", [service.receipt_id])


def test_a_posted_documents_receipt_date_is_filled_in_once(order, users):
    service = record_service(document_id=order.pk, actor=users["supervisor"], method=ServiceMethod.POST,
                             served_on=date(2026, 3, 3), tracking_number="1180123456789", now=at(2026, 3, 4))
    record_postal_receipt(service_id=service.pk, actor=users["supervisor"], receipt_date=date(2026, 3, 5),
                          now=at(2026, 3, 6))
    assert "cannot be changed" in refused("UPDATE documents_servicerecord SET receipt_date = %s WHERE id = %s",
                                          ["2026-03-04", service.pk])
    assert ServiceRecord.objects.get(pk=service.pk).receipt_date == date(2026, 3, 5)
