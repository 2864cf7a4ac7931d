"""Tampering with the record as a database superuser could, to show that the chain check sees it."""
from contextlib import contextmanager

from django.db import connection


@contextmanager
def behind_the_applications_back():
    """As a database superuser would: the append-only triggers off, tamper, the triggers on again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses while the test's transaction has deferred foreign-key checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE patrol_caseevent DISABLE TRIGGER caseevent_append_only")
            try:
                yield cursor
            finally:
                cursor.execute("ALTER TABLE patrol_caseevent ENABLE TRIGGER caseevent_append_only")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            # Only the append-only triggers: SpatiaLite keeps its own geometry triggers on the table.
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'patrol_caseevent'"
                           " AND name IN ('caseevent_no_update', 'caseevent_no_delete')")
            triggers = dict(cursor.fetchall())
            assert len(triggers) == 2
            for name in triggers:
                cursor.execute(f"DROP TRIGGER {name}")
            try:
                yield cursor
            finally:
                for sql in triggers.values():
                    cursor.execute(sql)
