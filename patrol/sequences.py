"""Gap-free numbering of case references and notice numbers."""
from django.db import connection, transaction

from patrol.models import DocumentSequence


def take_next_number(*, jurisdiction, scope, year, count=1):
    """Reserve the next ``count`` numbers of a sequence and return the first.

    Must run inside the transaction that stores what the numbers are for: the upsert leaves the sequence
    row locked until that transaction ends, and a rollback returns the numbers, so no gap appears.
    One statement on both engines (INSERT … ON CONFLICT DO UPDATE … RETURNING).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("take_next_number must run inside transaction.atomic()")
    table = DocumentSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (jurisdiction_id, scope, year, last_value) VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT (jurisdiction_id, scope, year) DO UPDATE SET last_value = {table}.last_value + %s "
            "RETURNING last_value",
            [getattr(jurisdiction, "pk", jurisdiction), scope, year, count, count],
        )
        last = cursor.fetchone()[0]
    return last - count + 1


def case_reference(jurisdiction_code, year, seq):
    return f"{jurisdiction_code}-{year}-{seq:05d}"
