"""Corrections made by IT in the admin: applied under the row lock and written to the record."""
from django.db import transaction
from django.utils import timezone

from patrol import ledger
from patrol.models import Case
from patrol.workflow import village_for_point


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
    now = timezone.now()
    case.version += 1
    case.updated_at = now
    case.save(update_fields=[*fields, "version", "updated_at"])
    edited.version, edited.village_id = case.version, case.village_id
    return ledger.record_event(case=case, actor=actor, action="admin_correct", from_status=case.status,
                               to_status=case.status, payload={"corrections": corrections}, at=now)
