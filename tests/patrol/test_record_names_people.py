"""The record names people by their names, as the case page's timeline shows them, not by their logins (#15)."""
import pytest

from patrol import presentation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_assignment_in_the_record_names_the_inspector_not_the_login(jurisdiction):
    UserFactory(username="inspector2", last_name="李", first_name="强", jurisdiction=jurisdiction)
    assert presentation.payload_lines({"inspector": "inspector2"}) == [("责任人", "李强")]
    # A login that no longer exists is shown as it was recorded.
    assert presentation.payload_lines({"inspector": "gone"}) == [("责任人", "gone")]
