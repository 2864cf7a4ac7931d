"""manage.py move_media_to_storage: copy the files of MEDIA_ROOT (or --source) into the configured object storage.

Each file is copied under the same name, read back and compared by SHA-256; the local file is left in place (delete
it yourself after a backup). Safe to run again after an interruption: a file already in the bucket with the same
SHA-256 is skipped; one there with other content is reported and left alone (evidence is never overwritten).
Exit status 1 when any file could not be copied or verified.
"""
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from worker.backup import read_sha256


def sha256_of(handle):
    return read_sha256(handle)[0]


def stored_sha256(storage, name):
    with storage.open(name, "rb") as handle:
        return sha256_of(handle)


class Command(BaseCommand):
    help = "Copy local media files into the object storage (S3_ENDPOINT_URL), checked by SHA-256; resumable."

    def add_arguments(self, parser):
        parser.add_argument("--source", default=None, help="folder to copy from (default: MEDIA_ROOT)")

    def handle(self, *args, source=None, **options):
        if not hasattr(default_storage, "bucket_name"):
            raise CommandError("S3_ENDPOINT_URL is not set: there is no object storage to move the files to.")
        root = Path(source or settings.MEDIA_ROOT)
        if not root.is_dir():
            raise CommandError(f"{root} is not a folder")
        copied = skipped = 0
        problems = []
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = path.relative_to(root).as_posix()
            with path.open("rb") as handle:
                local = sha256_of(handle)
            if default_storage.exists(name):
                if stored_sha256(default_storage, name) == local:
                    skipped += 1
                    continue
                problems.append(f"{name}: already in the bucket with other content; left alone")
                continue
            with path.open("rb") as handle:
                # _save writes exactly this name (save() would pick another name if it existed meanwhile).
                default_storage._save(name, File(handle, name=name))
            if stored_sha256(default_storage, name) != local:
                problems.append(f"{name}: the copy in the bucket does not match (SHA-256)")
                continue
            copied += 1
        self.stdout.write(f"copied {copied}, already there {skipped}, problems {len(problems)}")
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise SystemExit(1)
