"""The demo's 执法公示 (disclosure.demo.seed_disclosures): each decision published the morning after it, as the daily
run would have, so the demo's 公示及时率 reads as a team that runs the beat; safe to run twice."""
import pytest

from disclosure.demo import seed_disclosures
from disclosure.models import PublishedDecision
from tests.disclosure.conftest import K, at, decide

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_each_decision_the_morning_after_it(users, media):
    first = decide(users, when=at(2026, 3, 31))
    second = decide(users, kind=K.ENFORCEMENT_DECISION, when=at(2026, 4, 20))
    seed_disclosures(at(2026, 5, 1, 9))
    assert PublishedDecision.objects.get(document=first).published_at == at(2026, 4, 1, 6, 0)
    assert PublishedDecision.objects.get(document=second).published_at == at(2026, 4, 21, 6, 0)
    assert all(entry.published_on_time() for entry in PublishedDecision.objects.all())
    assert seed_disclosures(at(2026, 5, 1, 9))["registered"] == 0
