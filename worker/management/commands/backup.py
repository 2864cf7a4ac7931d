"""manage.py backup DIR: pg_dump (custom format) and a manifest of every evidence object with its SHA-256;
--incremental (or --since EARLIER) reads only the objects that may have changed since an earlier backup."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from worker.backup import BackupError, backup, latest_backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump -Fc) and list every evidence object with its SHA-256 (manifest.json)."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="a new folder for the backup")
        earlier = parser.add_mutually_exclusive_group()
        earlier.add_argument("--since", metavar="EARLIER",
                             help="an earlier backup: objects it lists that cannot have changed are not read again")
        earlier.add_argument("--incremental", action="store_true",
                             help="--since the newest complete backup beside DIRECTORY (a full one when there is none)")

    def handle(self, *args, directory, since, incremental, **options):
        try:
            if incremental:
                since = latest_backup(directory)
                if since is None:
                    self.stdout.write(f"no earlier backup beside {directory}: a full backup")
            manifest = backup(directory, since=Path(since) if since else None, log=self.stdout.write)
        except (BackupError, FileExistsError) as exc:
            raise CommandError(str(exc)) from exc
        if manifest["problems"]:
            raise CommandError("\n".join(manifest["problems"]))
