"""manage.py backup DIR: pg_dump (custom format) and a manifest of every evidence object with its SHA-256."""
from django.core.management.base import BaseCommand, CommandError

from worker.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump -Fc) and list every evidence object with its SHA-256 (manifest.json)."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="a new folder for the backup")

    def handle(self, *args, directory, **options):
        try:
            manifest = backup(directory, log=self.stdout.write)
        except (BackupError, FileExistsError) as exc:
            raise CommandError(str(exc)) from exc
        if manifest["problems"]:
            raise CommandError("\n".join(manifest["problems"]))
