"""Constraints the database holds even if application code slips."""
import threading
import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from patrol import workflow
from patrol.choices import Role, Status
from patrol.models import Case, DocumentSequence, User
from patrol.sequences import take_next_number
from tests.factories import finding

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_client_uuid_is_unique(users):
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(client_uuid=case.client_uuid, jurisdiction=case.jurisdiction, reference="X-1", year=2026,
                            seq=999, location=case.location, category="other", stage="completed",
                            reported_by=users["inspector"])


@pytest.mark.smoke
def test_a_state_from_before_the_statutory_procedure_is_refused(users):
    # An ordered case may wait without a deadline (it runs from effective service), but "rectifying" is gone.
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(status="rectifying", deadline=None)


@pytest.mark.smoke
def test_closed_case_without_resolution_is_refused(users):
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)


@pytest.mark.smoke
def test_unknown_status_is_refused(users):
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(status="lost")


@pytest.mark.smoke
def test_a_non_admin_user_must_belong_to_a_jurisdiction(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="floating", role=Role.SUPERVISOR, jurisdiction=None)
    User.objects.create(username="it", role=Role.ADMIN, jurisdiction=None)


@pytest.mark.smoke
def test_case_references_count_up_per_jurisdiction_and_year(users):
    first, _ = workflow.report_finding(actor=users["inspector"], **finding())
    second, _ = workflow.report_finding(actor=users["inspector"], **finding())
    other, _ = workflow.report_finding(
        actor=users["other_supervisor"], **finding(location=first.location.__class__(112.605, 41.705, srid=4326)))
    year = first.year
    assert first.reference == f"TST-{year}-00001"
    assert second.reference == f"TST-{year}-00002"
    assert other.reference == f"OTH-{year}-00001"


@pytest.mark.smoke
def test_a_rolled_back_case_gives_its_number_back(users):
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.report_finding(actor=users["inspector"], **finding())
        raise RuntimeError("the request failed after the case was stored")
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    assert case.seq == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_reference_sequence_is_gap_free_under_concurrency(users):
    inspector = users["inspector"]
    errors, barrier = [], threading.Barrier(12)

    def report(i):
        try:
            barrier.wait()
            if i % 4 == 3:
                # Every fourth request fails after taking its number: the number must come back.
                with transaction.atomic():
                    workflow.report_finding(actor=inspector, **finding(client_uuid=uuid.uuid4()))
                    raise RuntimeError("rolled back")
            workflow.report_finding(actor=inspector, **finding(client_uuid=uuid.uuid4()))
        except RuntimeError:
            pass
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=report, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = sorted(Case.objects.filter(jurisdiction=inspector.jurisdiction).values_list("seq", flat=True))
    assert seqs == list(range(1, 10))
    assert DocumentSequence.objects.get(jurisdiction=inspector.jurisdiction, scope="case").last_value == 9


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_taking_a_number_outside_a_transaction_is_a_programming_error(jurisdiction):
    with pytest.raises(RuntimeError):
        take_next_number(jurisdiction=jurisdiction, scope="case", year=2026)
