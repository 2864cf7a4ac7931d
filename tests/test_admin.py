"""The Django admin: every model is there, geometry is edited on a Leaflet map, the record is read-only."""
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

from patrol import workflow
from patrol.choices import Role
from patrol.models import ApiToken
from tests.factories import UserFactory, finding

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture
def admin_client(client, jurisdiction):
    admin = UserFactory(username="it", role=Role.ADMIN, jurisdiction=None, is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def our_models():
    """Every concrete model of this project's own apps (not Django's or a library's), read from the app registry."""
    base = Path(settings.BASE_DIR).resolve()
    ours = [config for config in apps.get_app_configs()
            if base in Path(config.path).resolve().parents and ".venv" not in Path(config.path).parts]
    return [model for config in ours for model in config.get_models()]


# Models of our apps that deliberately have no admin page, each with the reason. Empty today: every model has one.
WITHOUT_ADMIN = {}


def test_every_model_of_our_apps_is_in_the_admin_or_named_with_a_reason():
    models = our_models()
    assert {"patrol.case", "summaries.summary", "exports.exportjob", "summaries.jurisdictionsummaryschedule",
            "patrol.apitoken", "notifications.delivery"} <= {model._meta.label_lower for model in models}
    missing = [model._meta.label_lower for model in models
               if not admin.site.is_registered(model) and model._meta.label_lower not in WITHOUT_ADMIN]
    assert missing == []
    assert all(reason.strip() for reason in WITHOUT_ADMIN.values())


@pytest.mark.parametrize("model", our_models(), ids=lambda model: model._meta.label_lower)
def test_every_model_has_an_admin_list(admin_client, model):
    if model._meta.label_lower in WITHOUT_ADMIN:
        pytest.skip(WITHOUT_ADMIN[model._meta.label_lower])
    response = admin_client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    assert response.status_code == 200


def test_the_field_evidence_settings_are_edited_with_the_jurisdiction(admin_client, jurisdiction):
    body = admin_client.get(reverse("admin:geo_jurisdiction_change", args=[jurisdiction.pk])).content.decode()
    for name in ("finding_accuracy_max_m", "finding_min_photos", "tuban_near_m"):
        assert f'name="{name}"' in body


def test_an_api_token_shows_its_hash_read_only_and_cannot_be_made_in_the_admin(admin_client, users):
    token, key = ApiToken.issue(users["supervisor"], "手机")
    body = admin_client.get(reverse("admin:patrol_apitoken_change", args=[token.pk])).content.decode()
    assert token.key_hash in body and key not in body
    assert 'name="key_hash"' not in body  # shown, not an input
    assert admin_client.get(reverse("admin:patrol_apitoken_add")).status_code == 403


def test_village_boundary_is_edited_on_a_leaflet_map_with_chinese_labels(admin_client, jurisdiction):
    village = jurisdiction.villages.first()
    body = admin_client.get(reverse("admin:geo_village_change", args=[village.pk]),
                            HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "leaflet" in body.lower()
    assert "村界" in body and "村名" in body


def test_case_events_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, users):
    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    event = case.events.first()
    assert admin_client.get(reverse("admin:patrol_caseevent_add")).status_code == 403
    assert admin_client.post(reverse("admin:patrol_caseevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert admin_client.get(reverse("admin:patrol_case_add")).status_code == 403
    case.refresh_from_db()
    assert case.events.count() == 1


def test_villages_api_shows_only_the_users_own_jurisdiction(client, users):
    client.force_login(users["inspector"])
    data = client.get("/api/v1/villages/").json()
    assert data["type"] == "FeatureCollection"
    assert sorted(f["properties"]["name"] for f in data["features"]) == ["东村", "西村"]
    client.force_login(users["other_supervisor"])
    assert [f["properties"]["name"] for f in client.get("/api/v1/villages/").json()["features"]] == ["远村"]


def test_me_api_says_who_i_am(client, users):
    client.force_login(users["legal"])
    me = client.get("/api/v1/me/").json()
    assert me["role"] == "legal_reviewer" and me["jurisdiction"]["code"] == "TST"


def test_api_refuses_anonymous_users_with_one_error_shape(client):
    response = client.get("/api/v1/villages/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def _change_form_data(response):
    """The POST data of an admin change form as the page rendered it (fields and inline management forms)."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        if hasattr(field.widget, "decompress"):  # e.g. date and time in two inputs
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = part
        else:
            data[name] = field.widget.format_value(value) if hasattr(value, "wkt") else value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        for form in inline.formset.forms:  # the read-only rows post back only their ids
            for name in (form._meta.model._meta.pk.name, inline.formset.fk.name):
                data[form.add_prefix(name)] = form[name].value()
    return data


def test_a_correction_in_the_admin_is_written_to_the_record(admin_client, users):
    from patrol import ledger
    from patrol.presentation import event_label, payload_lines

    case, _ = workflow.report_finding(actor=users["inspector"], **finding(address="东村口"))
    url = reverse("admin:patrol_case_change", args=[case.pk])
    data = _change_form_data(admin_client.get(url))
    data["address"] = "东村口北侧第二户"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    case.refresh_from_db()
    assert case.address == "东村口北侧第二户"
    event = case.events.order_by("-seq").first()
    assert (event.action, event.seq, case.version) == ("admin_correct", 2, 2)
    assert event.payload == {"corrections": {"address": {"from": "东村口", "to": "东村口北侧第二户"}}}
    assert event.actor.username == "it"
    assert ledger.verify_case_chain(case, list(case.events.order_by("seq"))) is None
    assert str(event_label("admin_correct")) == "管理员更正"
    assert [(str(label), value) for label, value in payload_lines(event.payload)] == [
        ("地址或标志物", "东村口 → 东村口北侧第二户")]

    # Saving again without a change writes nothing.
    admin_client.post(url, _change_form_data(admin_client.get(url)))
    assert case.events.count() == 2


def test_a_corrected_location_moves_the_case_to_the_village_it_now_lies_in(users):
    from django.contrib.gis.geos import Point

    from patrol.corrections import record_correction

    case, _ = workflow.report_finding(actor=users["inspector"], **finding())
    assert case.village.name == "东村"
    case.location = Point(111.625, 40.705, srid=4326)
    event = record_correction(case, ["location"], actor=users["supervisor"])
    case.refresh_from_db()
    assert case.village.name == "西村" and case.version == 2
    assert event.payload["corrections"]["location"]["to"].startswith("POINT (111.625 40.705")
