"""Evidence on S3-compatible object storage (S3_ENDPOINT_URL; SeaweedFS in the tests, MinIO or a cloud's own in
production): Django's storage API over django-storages' S3 backend, with the evidence locked.

Photos, videos, issued documents, signatures and 卫片 evidence photos (the prefixes in EVIDENCE_PREFIXES) are written with an object lock in
COMPLIANCE mode until the jurisdiction's evidence-retention years have passed (gis.Jurisdiction.
evidence_retention_years; the jurisdiction's code is the second part of each evidence name). In a bucket with
versioning and object lock, nobody — not the application's key, not an administrator — can delete or overwrite
such a version before then: an overwrite only adds a newer version, and a delete only adds a delete marker, both
visible and reversible (docs/OPERATIONS.md). Exports, summaries, dossiers and upload parts are working files the
beat deletes: they are not locked.

manage.py setup_object_storage creates the bucket with object lock and versioning.
"""
from datetime import timedelta
from functools import lru_cache

from django.utils import timezone
from storages.backends.s3 import S3Storage

from gis.models import Jurisdiction

EVIDENCE_PREFIXES = ("photos/", "videos/", "documents/", "signatures/", "tuban/")
DEFAULT_RETENTION_YEARS = 30


@lru_cache(maxsize=256)
def _retention_years(code):
    years = Jurisdiction.objects.filter(code=code).values_list("evidence_retention_years", flat=True).first()
    return years or DEFAULT_RETENTION_YEARS


class EvidenceStorage(S3Storage):
    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        if name.startswith(EVIDENCE_PREFIXES):
            parts = name.split("/")
            years = _retention_years(parts[1]) if len(parts) > 2 else DEFAULT_RETENTION_YEARS
            params["ObjectLockMode"] = "COMPLIANCE"
            # Years of 365.25 days, rounded up to the day: never a day short of the legal term.
            params["ObjectLockRetainUntilDate"] = timezone.now() + timedelta(days=int(years * 365.25) + 1)
        return params

