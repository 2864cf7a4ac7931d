"""seed_demo: every state of the procedure, the users of every role, and the same data when run twice."""
import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from gis.models import Jurisdiction, Village
from documents.models import ServiceRecord
from patrol.choices import ReinspectionResult, Resolution, Status
from patrol.ledger import verify_case_chain
from patrol.models import Campaign, Case, CaseEvent, Notice, Patrol, Photo, User

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def snapshot():
    return {
        "jurisdictions": sorted(Jurisdiction.objects.values_list("code", flat=True)),
        "villages": Village.objects.count(),
        "users": sorted(User.objects.values_list("username", "role")),
        "campaigns": Campaign.objects.count(),
        "patrols": sorted(str(u) for u in Patrol.objects.values_list("client_uuid", flat=True)),
        "cases": sorted(Case.objects.values_list("reference", "status", "resolution")),
        "events": CaseEvent.objects.count(),
        "photos": sorted(Photo.objects.values_list("sha256", flat=True)),
        "notices": sorted(Notice.objects.values_list("number", flat=True)),
    }


@pytest.fixture
def seeded(settings, tmp_path, reused_renderings):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", verbosity=0)
    return snapshot()


def test_seed_demo_twice_leaves_the_same_data(seeded):
    call_command("seed_demo", verbosity=0)
    assert snapshot() == seeded


def test_demo_has_every_role_and_the_isolation_jurisdiction(seeded):
    users = dict(seeded["users"])
    assert users == {"inspector": "inspector", "inspector2": "inspector", "supervisor": "supervisor",
                     "legal": "legal_reviewer", "leader": "leader", "other_supervisor": "supervisor", "admin": "admin"}
    assert seeded["jurisdictions"] == ["DEMO2", "LWG"]
    assert User.objects.get(username="other_supervisor").jurisdiction.code == "DEMO2"
    assert User.objects.get(username="supervisor").check_password("xuncha-demo")
    assert Jurisdiction.objects.get(code="LWG").villages.count() == 7


def test_demo_cases_cover_every_state_with_valid_records(seeded):
    lwg = Case.objects.filter(jurisdiction__code="LWG")
    assert 190 <= lwg.count() <= 210
    by_status = dict(lwg.values_list("status").annotate(n=Count("pk")))
    # The states whose actions exist today; each step of #13 that lands adds its state here (and to the demo).
    reached = {Status.REPORTED, Status.DISMISSED, Status.FILED, Status.ORDERED, Status.NOTIFIED, Status.HEARING,
               Status.IN_REVIEW, Status.DECIDED, Status.SUSPENDED, Status.COURT_PENDING, Status.CLOSED}
    assert set(by_status) >= reached
    resolutions = set(lwg.filter(status=Status.CLOSED).values_list("resolution", flat=True))
    assert {Resolution.RECTIFIED_BY_PARTY, Resolution.LEGALIZED} <= resolutions
    assert lwg.filter(resolution=Resolution.WITHDRAWN).exists()
    for case in lwg.select_related("jurisdiction")[:60]:
        assert verify_case_chain(case) is None
    assert Photo.objects.filter(case__jurisdiction__code="LWG").count() >= 200


def test_demo_has_overdue_cases_whose_last_reinspection_was_not_rectified(seeded):
    overdue = Case.objects.filter(status=Status.ORDERED).overdue()
    assert overdue.count() >= 3
    for case in overdue:
        last = case.events.filter(action="reinspect").order_by("-seq").first()
        assert last is not None and last.payload["result"] != ReinspectionResult.RECTIFIED
    assert Case.objects.filter(status=Status.IN_REVIEW).exists()


def test_demo_patrols_have_tracks_over_the_last_two_weeks(seeded):
    patrols = Patrol.objects.filter(jurisdiction__code="LWG")
    assert patrols.count() >= 14
    assert all(p.track is not None and len(p.track) >= 40 and p.distance_m > 1000 for p in patrols)
    oldest = min(p.started_at for p in patrols)
    assert (timezone.now() - oldest).days in (13, 14)


def test_the_demo_queues_the_summaries_already_due_once(seeded):
    from summaries.models import Summary

    due = list(Summary.objects.values_list("campaign__name", "kind", "status"))
    assert due == [("2026年冬季违法建设专项整治行动", "weekly", "requested")]
    call_command("seed_demo", verbosity=0)
    assert Summary.objects.count() == 1


def test_every_demo_inspector_and_supervisor_holds_a_certificate_valid_for_years(seeded):
    from datetime import timedelta

    from patrol.officers import check_two_officers

    officers = User.objects.filter(role__in=["inspector", "supervisor"])
    assert officers.count() == 4
    today = timezone.localdate()
    for user in officers:
        assert len(user.certificate_number) == 15 and user.certificate_number.isdigit(), user
        assert user.certificate_valid_until > today + timedelta(days=365 * 4), user
    check_two_officers(officers.filter(jurisdiction__code="LWG"), today)
    assert not User.objects.get(username="leader").certificate_number


def test_the_demo_jurisdictions_name_their_appeal_bodies_and_lwg_may_use_every_legal_basis(seeded):
    lwg, demo2 = Jurisdiction.objects.get(code="LWG"), Jurisdiction.objects.get(code="DEMO2")
    assert lwg.legal_bases == ["planning_art65", "planning_art64", "land_art78"]
    assert demo2.legal_bases == ["planning_art65"]
    for jurisdiction in (lwg, demo2):
        assert jurisdiction.reconsideration_body.endswith("人民政府") and jurisdiction.court.endswith("人民法院")
    assert lwg.is_major_case(area_m2=250, demolition=True) and not lwg.is_major_case(area_m2=80, demolition=True)


def test_demo_has_a_late_case_a_hearing_and_an_order_served_by_public_notice_not_yet_in_force(seeded):
    lwg = Case.objects.filter(jurisdiction__code="LWG")
    assert lwg.late().exists()
    assert lwg.filter(status=Status.HEARING).exists()
    today = timezone.localdate()
    pending = ServiceRecord.objects.filter(document__case__jurisdiction__code="LWG", method="public_notice",
                                           effective_on__gt=today)
    assert pending.exists()
    assert all(service.document.case.deadline is None or service.document.case.deadline > today
               for service in pending)


def featured(outcome):
    """The demo's case of one of seeder.FEATURED: there whatever the random draw of the other cases gives."""
    from demo.seeder import FEATURED, FEATURED_INDEX, uuid_for

    return Case.objects.select_related("jurisdiction").get(
        client_uuid=uuid_for("case", FEATURED_INDEX + FEATURED.index(outcome)))


def test_demo_has_a_case_on_the_court_route_applied_to_the_court(seeded):
    case = featured("court_pending")
    assert (case.jurisdiction.code, case.legal_basis, case.status) == ("LWG", "land_art78", Status.COURT_PENDING)
    actions = list(case.events.order_by("seq").values_list("action", flat=True))
    assert actions.index("decide") < actions.index("issue_reminder") < actions.index("apply_to_court")
    assert case.documents.filter(kind="court_enforcement_application").exists()
    assert verify_case_chain(case) is None


def test_demo_has_a_hearing_a_suspended_decision_a_late_case_and_a_public_notice_not_in_force(seeded):
    today = timezone.localdate()
    hearing = featured("hearing")
    assert hearing.status == Status.HEARING and hearing.documents.filter(kind="hearing_notice").exists()
    suspended = featured("suspended")
    assert suspended.status == Status.SUSPENDED
    appeal = suspended.events.get(action="record_appeal")
    assert appeal.from_status == Status.DECIDED and appeal.payload["kind"] == "reconsideration"
    late = featured("late")
    assert Case.objects.late().filter(pk=late.pk).exists() and late.decision_due < today
    assert not late.events.filter(action="decide").exists()
    public = featured("public_notice")
    services = ServiceRecord.objects.filter(document__case=public, method="public_notice")
    assert services.count() == 1 and services.get().effective_on > today
    for case in (hearing, suspended, late, public):
        assert verify_case_chain(case) is None


def test_a_demo_case_of_every_state_opens_on_its_page(seeded, client):
    # One case of each state and outcome, as its jurisdiction's supervisor sees it: the enforcement steps' events
    # name their documents in another shape, and reading them broke the page of every case past its decision.
    pages = {}
    for case in Case.objects.order_by("status", "resolution", "pk").select_related("jurisdiction"):
        pages.setdefault((case.status, case.resolution), case)
    enforcement = ["issue_reminder", "decide_enforcement", "announce", "execute_demolition", "apply_to_court"]
    for action in enforcement:
        pages[action] = Case.objects.filter(events__action=action).select_related("jurisdiction").first()
    assert all(pages[action] for action in enforcement)
    for case in pages.values():
        client.force_login(User.objects.filter(jurisdiction=case.jurisdiction, role="supervisor").first())
        response = client.get(f"/cases/{case.pk}/")
        assert response.status_code == 200, (case.reference, case.status)
