"""Gap-free numbering of case references and notice numbers."""
from django.db import transaction

from patrol.models import DocumentSequence


def take_next_number(*, jurisdiction, scope, year, count=1):
    """Reserve the next ``count`` numbers of a sequence and return the first.

    Must run inside the transaction that stores what the numbers are for: the sequence row stays
    locked until it commits, and a rollback returns the numbers, so no gap appears.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("take_next_number must run inside transaction.atomic()")
    # Make sure the row exists without racing another transaction that creates it too.
    DocumentSequence.objects.bulk_create(
        [DocumentSequence(jurisdiction=jurisdiction, scope=scope, year=year, last_value=0)],
        ignore_conflicts=True,
    )
    sequence = DocumentSequence.objects.select_for_update().get(jurisdiction=jurisdiction, scope=scope, year=year)
    first = sequence.last_value + 1
    sequence.last_value += count
    sequence.save(update_fields=["last_value"])
    return first


def case_reference(jurisdiction_code, year, seq):
    return f"{jurisdiction_code}-{year}-{seq:05d}"
