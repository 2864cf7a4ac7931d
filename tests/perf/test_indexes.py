"""No index that every insert writes and no query needs (issue #20): a plain btree index whose key columns begin
another btree index of the same table serves nothing the longer one does not (PostgreSQL reads a btree by its leading
columns), and no event is looked up by its hash."""
import pytest
from django.apps import apps
from django.db import connection

pytestmark = [pytest.mark.postgres_only]

# The apps whose tables grow with the cases (the small tables of the others are not worth a migration).
OUR_APPS = {"patrol", "documents", "disclosure"}

# Every btree index of our tables: its name, table, key columns (without INCLUDE), and whether it is plain (not
# unique, no predicate, no expression, default operator classes).
INDEXES_SQL = """
SELECT i.relname, t.relname, (ix.indkey::int2[])[0:ix.indnkeyatts - 1],
       NOT ix.indisunique AND ix.indpred IS NULL AND ix.indexprs IS NULL
       AND NOT EXISTS (SELECT 1 FROM unnest(ix.indclass::oid[]) c JOIN pg_opclass o ON o.oid = c
                       WHERE NOT o.opcdefault)
FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_am am ON am.oid = i.relam
WHERE am.amname = 'btree' AND t.relname = ANY(%s)
"""


def our_tables():
    return [model._meta.db_table for model in apps.get_models() if model._meta.app_label in OUR_APPS]


def test_no_plain_index_is_the_start_of_another(db):
    with connection.cursor() as cursor:
        cursor.execute(INDEXES_SQL, [our_tables()])
        indexes = cursor.fetchall()
    assert any(table == "patrol_case" for _name, table, _keys, _plain in indexes)
    redundant = []
    for name, table, keys, plain in indexes:
        if not plain:
            continue
        for other, other_table, other_keys, _ in indexes:
            if other != name and other_table == table and len(other_keys) > len(keys) \
                    and other_keys[:len(keys)] == keys:
                redundant.append(f"{name} (covered by {other})")
                break
    assert redundant == [], "\n".join(redundant)


def test_the_event_hash_is_not_indexed(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'patrol_caseevent'")
        definitions = [row[0] for row in cursor.fetchall()]
    assert definitions and not [d for d in definitions if "(hash" in d]


def test_autovacuum_keeps_the_case_tables_visibility_map_current(db):
    """Index-only counts stay index-only only on pages VACUUM has marked: the case tables are visited after 1 % of
    new or changed rows (migration 0027), not PostgreSQL's 20 %."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reloptions FROM pg_class WHERE relname IN ('patrol_case', 'patrol_caseevent')")
        options = {table: dict(o.split("=") for o in (reloptions or [])) for table, reloptions in cursor.fetchall()}
    assert options["patrol_case"]["autovacuum_vacuum_scale_factor"] == "0.01"
    assert options["patrol_case"]["autovacuum_vacuum_insert_scale_factor"] == "0.01"
    assert options["patrol_caseevent"]["autovacuum_vacuum_insert_scale_factor"] == "0.01"
