"""Corrections made by IT in the admin: applied under the row lock and written to the record."""
from django.db import transaction

from patrol.models import Case
from patrol.workflow import _save_and_record, village_for_point


def _plain(value):
    if hasattr(value, "wkt"):
        return value.wkt
    if hasattr(value, "pk"):
        return str(value)
    return value


@transaction.atomic
def record_correction(edited, changed_fields, *, actor):
    """Save the edited fields of ``edited`` (an unsaved, changed Case) with one ``admin_correct`` event.

    Returns the event, or None when nothing changed.
    """
    case = Case.objects.select_for_update().get(pk=edited.pk)
    corrections = {}
    for name in changed_fields:
        old, new = getattr(case, name), getattr(edited, name)
        if _plain(old) != _plain(new):
            corrections[name] = {"from": _plain(old), "to": _plain(new)}
            setattr(case, name, new)
    if not corrections:
        return None
    fields = list(corrections)
    if "location" in corrections:
        # The village follows the point, as it does when the finding is reported.
        case.village = village_for_point(case.jurisdiction, case.location) or case.village
        fields.append("village")
    # Saved and recorded as every workflow action is: one version, one hash-chained event.
    event = _save_and_record(case, actor=actor, action="admin_correct", from_status=case.status,
                             payload={"corrections": corrections}, fields=fields)
    edited.version, edited.village_id = case.version, case.village_id
    return event
