"""Reads of summaries: every query for a user starts from ``summaries_for`` (core.scoping: own jurisdiction only)."""
from summaries.models import JurisdictionSummarySchedule, Summary


def summaries_for(user):
    return Summary.objects.for_user(user)


def jurisdiction_schedule(jurisdiction_id):
    """The jurisdiction's own summary schedule with its recipients, or None when it was never set."""
    return (JurisdictionSummarySchedule.objects.filter(jurisdiction_id=jurisdiction_id)
            .prefetch_related("recipients").first())
