"""A jurisdiction's procedure settings (DOMAIN.md "Legal basis"): its legal bases and the route each implies,
the bodies printed on decisions, the major-case rule, the periods, the retention years."""
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from gis.models import Jurisdiction
from patrol import periods, workflow
from patrol.choices import LEGAL_BASIS_RULES, EnforcementRoute, LegalBasis, Role
from patrol.models import Case
from tests.factories import JurisdictionFactory, UserFactory, finding

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_a_new_jurisdiction_starts_with_the_townships_own_power_and_the_statutory_defaults():
    jurisdiction = Jurisdiction.objects.create(name="新乡", code="NEW")
    jurisdiction.refresh_from_db()
    assert jurisdiction.legal_bases == ["planning_art65"]
    assert (jurisdiction.decision_period_days, jurisdiction.statement_window_days) == (90, 5)
    assert (jurisdiction.evidence_retention_years, jurisdiction.disclosure_retention_years) == (30, 5)
    assert jurisdiction.major_case_any_demolition and jurisdiction.major_case_area_m2 is None
    assert (jurisdiction.reconsideration_body, jurisdiction.court) == ("", "")


@pytest.mark.parametrize("bases", [[], ["planning_art65", "planning_art65"], ["city_art99"], "planning_art65"])
def test_a_jurisdiction_must_allow_at_least_one_known_basis_once(bases):
    jurisdiction = JurisdictionFactory.build(code="BAD", legal_bases=bases)
    with pytest.raises(ValidationError) as refused:
        jurisdiction.full_clean()
    assert "legal_bases" in refused.value.message_dict


def test_each_legal_basis_implies_its_route_and_the_land_law_goes_to_court():
    assert {basis: rule.route for basis, rule in LEGAL_BASIS_RULES.items()} == {
        LegalBasis.PLANNING_ART65: EnforcementRoute.SELF,
        LegalBasis.PLANNING_ART64: EnforcementRoute.SELF,
        LegalBasis.LAND_ART78: EnforcementRoute.COURT,
    }
    assert "第六十五条" in LEGAL_BASIS_RULES[LegalBasis.PLANNING_ART65].articles
    assert "第八十三条" in LEGAL_BASIS_RULES[LegalBasis.LAND_ART78].articles


def test_any_demolition_makes_a_case_major_by_default():
    jurisdiction = JurisdictionFactory.build()
    assert jurisdiction.is_major_case(area_m2=Decimal("12.0"), demolition=True)
    assert not jurisdiction.is_major_case(area_m2=Decimal("12.0"), demolition=False)


def test_a_jurisdiction_drawing_the_line_by_area_makes_large_cases_major():
    jurisdiction = JurisdictionFactory.build(major_case_area_m2=Decimal("200"), major_case_any_demolition=False)
    assert jurisdiction.is_major_case(area_m2=Decimal("200.0"), demolition=True)
    assert not jurisdiction.is_major_case(area_m2=Decimal("199.9"), demolition=True)
    assert not jurisdiction.is_major_case(area_m2=None, demolition=True)  # not measured: the area rule says nothing


def test_a_case_has_no_route_until_a_legal_basis_is_chosen(users):
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    assert case.legal_basis == "" and case.route is None
    Case.objects.filter(pk=case.pk).update(legal_basis=LegalBasis.LAND_ART78)
    case.refresh_from_db()
    assert case.route == EnforcementRoute.COURT
    Case.objects.filter(pk=case.pk).update(legal_basis=LegalBasis.PLANNING_ART64)
    case.refresh_from_db()
    assert case.route == EnforcementRoute.SELF


def test_the_database_refuses_an_unknown_legal_basis(users):
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(legal_basis="city_art99")


def test_a_case_on_occupied_land_runs_the_court_routes_clocks_with_the_jurisdictions_periods(jurisdiction):
    jurisdiction.decision_period_days, jurisdiction.statement_window_days = 60, 3
    dates = periods.CaseDates(filed_on=date(2026, 3, 2), intent_served_on=date(2026, 4, 30))
    clocks = {c.name: c for c in periods.running_clocks(
        dates, legal_basis=LegalBasis.LAND_ART78, decision_days=jurisdiction.decision_period_days,
        statement_days=jurisdiction.statement_window_days)}
    assert clocks["decision"].end == date(2026, 5, 6)
    assert clocks["statement"].end == date(2026, 5, 8)


# --- API and admin ----------------------------------------------------------------------------------------

def test_the_api_shows_the_users_jurisdiction_with_its_procedure_settings(users, jurisdiction):
    jurisdiction.legal_bases = ["planning_art65", "land_art78"]
    jurisdiction.reconsideration_body, jurisdiction.court = "××县人民政府", "××县人民法院"
    jurisdiction.major_case_area_m2 = Decimal("150.5")
    jurisdiction.save()
    client = APIClient()
    client.force_authenticate(users["inspector"])
    data = client.get("/api/v1/jurisdictions/").json()
    assert data["count"] == 1
    properties = data["features"][0]["properties"]
    assert properties["code"] == "TST"
    assert [(b["value"], b["route"]) for b in properties["legal_bases"]] == [
        ("planning_art65", "self"), ("land_art78", "court")]
    assert properties["legal_bases"][1]["articles"] == "《中华人民共和国土地管理法》第七十八条、第八十三条"
    assert (properties["reconsideration_body"], properties["court"]) == ("××县人民政府", "××县人民法院")
    assert properties["major_case_area_m2"] == 150.5 and properties["major_case_any_demolition"] is True
    assert (properties["decision_period_days"], properties["statement_window_days"]) == (90, 5)
    assert (properties["evidence_retention_years"], properties["disclosure_retention_years"]) == (30, 5)


def test_the_api_never_shows_another_jurisdictions_settings(users, other_jurisdiction):
    other_jurisdiction.court = "别处县人民法院"
    other_jurisdiction.save()
    client = APIClient()
    client.force_authenticate(users["inspector"])
    assert "别处县人民法院" not in client.get("/api/v1/jurisdictions/").content.decode()
    assert client.get(f"/api/v1/jurisdictions/{other_jurisdiction.pk}/").status_code == 404


def test_the_admin_ticks_the_legal_bases_and_saves_them_as_a_list(client, jurisdiction):
    admin = UserFactory(username="it", role=Role.ADMIN, jurisdiction=None, is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:geo_jurisdiction_change", args=[jurisdiction.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert 'type="checkbox" name="legal_bases" value="land_art78"' in page
    assert "行政复议机关" in page and "证据保存年限" in page
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(legal_bases=["planning_art65", "land_art78"], reconsideration_body="××县人民政府",
                court="××县人民法院", boundary=jurisdiction.boundary.geojson)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    jurisdiction.refresh_from_db()
    assert jurisdiction.legal_bases == ["planning_art65", "land_art78"]
    assert jurisdiction.court == "××县人民法院"
