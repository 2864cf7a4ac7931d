"""manage.py setup_object_storage: create the evidence bucket with object lock and versioning (S3_ENDPOINT_URL)."""
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError


def ensure_bucket(storage):
    """Create ``storage``'s bucket with object lock (which turns versioning on) unless it exists; insist on
    versioning. Returns True when it created the bucket."""
    client = storage.connection.meta.client
    bucket = storage.bucket_name
    created = bucket not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if created:
        # Object lock can only be turned on when a bucket is created.
        client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    if client.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return created


class Command(BaseCommand):
    help = "Create the object-storage bucket for evidence (object lock, versioning) when S3_ENDPOINT_URL is set."

    def handle(self, *args, **options):
        if not hasattr(default_storage, "bucket_name"):
            raise CommandError("S3_ENDPOINT_URL is not set: files are stored on the local disk (MEDIA_ROOT).")
        created = ensure_bucket(default_storage)
        self.stdout.write(f"bucket {default_storage.bucket_name}: {'created' if created else 'exists'}, "
                          "versioning on, object lock as created")
