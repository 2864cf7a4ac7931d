"""Reads of export jobs: only ever the user's own, in the jurisdiction they are in now."""
from exports.models import ExportJob
from patrol.errors import NotFound


def own_jobs(user):
    # A user who moved to another jurisdiction no longer reaches the exports of the old one.
    return ExportJob.objects.filter(user=user, jurisdiction_id=user.jurisdiction_id)


def own_job(user, pk):
    job = own_jobs(user).select_related("jurisdiction").filter(pk=pk).first()
    if job is None:
        raise NotFound()
    return job
