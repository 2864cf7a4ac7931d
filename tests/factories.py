"""factory_boy factories: a jurisdiction with two square villages, users of each role, cases."""
import uuid
from datetime import date

import factory
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from gis.models import Jurisdiction, Village
from patrol.choices import Category, Role, Stage
from patrol.models import User


def square(x, y, size=0.02):
    return MultiPolygon(Polygon.from_bbox((x, y, x + size, y + size)), srid=4326)


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"J{n:03d}")
    name = factory.LazyAttribute(lambda o: f"{o.code}执法队")
    doc_prefix = factory.LazyAttribute(lambda o: o.code)
    boundary = factory.LazyFunction(lambda: square(111.60, 40.70, 0.04))
    # Most tests file cases without taking photos first; the photo rule of 立案 (default 1) has its own tests
    # (tests/api/test_filing_needs_photos.py).
    finding_min_photos = 0


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    name = factory.Sequence(lambda n: f"村{n}")
    boundary = factory.LazyFunction(lambda: square(111.60, 40.70))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.INSPECTOR
    jurisdiction = factory.SubFactory(JurisdictionFactory)
    password = factory.django.Password("correct-horse-battery")
    # Inspectors and supervisors are officers with a 执法证 (DOMAIN.md), valid well past any test clock.
    certificate_number = factory.LazyAttributeSequence(
        lambda o, n: f"9{n:014d}" if o.role in (Role.INSPECTOR, Role.SUPERVISOR) else "")
    certificate_valid_until = factory.LazyAttribute(lambda o: date(2099, 12, 31) if o.certificate_number else None)


def finding(**overrides):
    """Keyword arguments of patrol.workflow.report_finding for a point inside the first test village."""
    values = dict(client_uuid=uuid.uuid4(), location=Point(111.605, 40.705, srid=4326), category=Category.EXTENSION,
                  stage=Stage.UNDER_CONSTRUCTION, address="村东头", description="院外加盖彩钢房")
    values.update(overrides)
    return values
