"""The action registry (workflow.ACTIONS) is complete: every entry has what the API, the page and the tests read.

Adding an action is one registry entry, its service, its form template, translations and tests (README, "Where
things go"); these tests fail when one of those is missing or the pieces do not fit together.
"""
import inspect
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import get_template

from patrol import workflow
from patrol.action_inputs import ActionInput
from patrol.choices import PhotoStage, Role, Status
from tests.api.test_permission_matrix import ACTION_MATRIX

SPECS = list(workflow.ACTIONS.values())
ACTION_TEMPLATES = Path(settings.BASE_DIR) / "patrol" / "templates" / "patrol" / "actions"


def ids(spec):
    return spec.name


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_every_action_has_a_form_template(spec):
    assert spec.template == f"patrol/actions/_{spec.name}.html"
    get_template(spec.template)


def test_every_form_template_belongs_to_an_action():
    names = {path.stem.removeprefix("_") for path in ACTION_TEMPLATES.glob("_*.html")}
    assert names == set(workflow.ACTIONS)


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_every_action_has_an_input_whose_fields_its_service_takes(spec):
    assert issubclass(spec.input, ActionInput)
    service = inspect.signature(spec.service).parameters
    assert all(p.kind == p.KEYWORD_ONLY for p in service.values()), "services take keyword-only arguments"
    assert {"case_id", "actor", "expected_version", "now", "location"} <= set(service)
    # Every field the input accepts, in the shape the service receives it, is a parameter of the service.
    sample = {name: None for name in spec.input().fields}
    if "service" in sample:
        sample["service"] = {"method": None, "date": None}
    assert set(spec.input.service_arguments(sample)) <= set(service)


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_every_action_has_a_row_in_the_permission_matrix(spec):
    entry = ACTION_MATRIX.get(spec.name)
    assert entry is not None, f"tests/api/test_permission_matrix.py ACTION_MATRIX has no row for {spec.name}"
    assert entry.allowed == spec.roles


@pytest.mark.parametrize("spec", SPECS, ids=ids)
def test_every_action_names_its_states_roles_and_label(spec):
    assert spec.from_statuses and spec.from_statuses <= set(Status.values)
    assert spec.roles and spec.roles <= set(Role.values)
    assert str(spec.label) and spec.label != spec.name


@pytest.mark.parametrize("spec", [s for s in SPECS if s.photo_stage], ids=ids)
def test_an_action_that_takes_photos_names_their_stage_and_an_input_field_for_them(spec):
    assert spec.photo_stage in PhotoStage.values
    fields = spec.input().fields
    *path, last = spec.photo_field.split(".")
    for key in path:
        fields = fields[key].fields
    assert last in fields
    data = spec.with_photos({}, [7, 8])
    for key in path:
        data = data[key]
    assert data[last] in ([7, 8], 7)

