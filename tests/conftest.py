import pytest
from django.db import connection

from documents import rendering
from documents import services as documents_services
from patrol.choices import Role
from tests.factories import JurisdictionFactory, UserFactory, VillageFactory, square


REAL_WORKER_FIXTURES = {"celery_worker", "real_worker", "broker"}


def pytest_collection_modifyitems(config, items):
    # Tests that start real Celery worker processes are marked real_worker: `make test` runs them in a
    # pass of their own, one at a time, after the parallel run (two at once on one Redis server interfere).
    for item in items:
        if REAL_WORKER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.real_worker)
    # Tests that need PostgreSQL row locks and real concurrency do not run on the SpatiaLite smoke run.
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("spatialite"):
        skip = pytest.mark.skip(reason="needs PostGIS")
        for item in items:
            if "postgres_only" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def jurisdiction(db):
    j = JurisdictionFactory(code="TST", name="测试执法队", boundary=square(111.60, 40.70, 0.04))
    VillageFactory(jurisdiction=j, name="东村", boundary=square(111.60, 40.70))
    VillageFactory(jurisdiction=j, name="西村", boundary=square(111.62, 40.70))
    return j


@pytest.fixture
def other_jurisdiction(db):
    j = JurisdictionFactory(code="OTH", name="别处执法队", boundary=square(112.60, 41.70, 0.04))
    VillageFactory(jurisdiction=j, name="远村", boundary=square(112.60, 41.70))
    return j


@pytest.fixture
def users(jurisdiction, other_jurisdiction):
    return {
        "inspector": UserFactory(username="t_inspector", role=Role.INSPECTOR, jurisdiction=jurisdiction),
        "inspector2": UserFactory(username="t_inspector2", role=Role.INSPECTOR, jurisdiction=jurisdiction),
        "supervisor": UserFactory(username="t_supervisor", role=Role.SUPERVISOR, jurisdiction=jurisdiction),
        "legal": UserFactory(username="t_legal", role=Role.LEGAL_REVIEWER, jurisdiction=jurisdiction),
        "leader": UserFactory(username="t_leader", role=Role.LEADER, jurisdiction=jurisdiction),
        "other_supervisor": UserFactory(username="t_other", role=Role.SUPERVISOR, jurisdiction=other_jurisdiction),
    }


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttling and lockout counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language (a request in English must not leak into the next test)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


_PDF_BY_KIND = {}


def one_rendering_per_kind(*, kind, number, issued_on, content, images=None):
    """For tests that build many documents but read none — the permission matrix and the schemathesis data, which
    walk hundreds of cases through every state to ask who may act, and the demo seeded for the map, ledger, KPI and
    summary tests (tests/documents renders and reads every kind for real): the first document of each kind is
    rendered by WeasyPrint, later ones reuse its bytes. Even at 0.05 s a document (documents.fonts), the demo's 115
    documents per seeding, seeded for each of twenty tests, were a fifth of the suite's time."""
    if kind not in _PDF_BY_KIND:
        _PDF_BY_KIND[kind] = rendering.render_pdf(kind=kind, number=number, issued_on=issued_on, content=content,
                                                  images=images)
    return _PDF_BY_KIND[kind]


@pytest.fixture
def reused_renderings(monkeypatch):
    """Install one_rendering_per_kind for a test that builds many documents but reads none."""
    monkeypatch.setattr(documents_services, "render_pdf", one_rendering_per_kind)
