"""manage.py restore DIR: the backup's dump into the configured, empty database; then every evidence object of
the manifest checked against its SHA-256 (local files are put back from the backup first)."""
from django.core.management.base import BaseCommand, CommandError

from worker.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup (manage.py backup) into an empty database and check the evidence objects."

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, directory, **options):
        try:
            missing, different = restore(directory, log=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        problems = [f"missing: {name}" for name in missing] + [f"different: {name}" for name in different]
        if problems:
            raise CommandError("\n".join(problems))
