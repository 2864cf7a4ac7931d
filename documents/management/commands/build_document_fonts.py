"""Cut the document fonts down to GB 2312 (documents.fonts) with HarfBuzz's hb-subset; quick when already built."""
import os
import shutil
import subprocess
import tempfile

from django.core.management.base import BaseCommand, CommandError

from documents import fonts


def _face(pattern):
    """(file, index in the collection) of the system face fontconfig matches ``pattern`` with."""
    found = subprocess.run(["fc-match", "-f", "%{file}\n%{index}\n%{family}", pattern], capture_output=True,
                           text=True, check=True).stdout.split("\n")
    if len(found) < 3 or "Noto Serif CJK SC" not in found[2]:
        raise CommandError(f"fontconfig has no {pattern!r} (install fonts-noto-cjk): it matched {found!r}")
    return found[0], found[1] or "0"


class Command(BaseCommand):
    help = "Build the cut-down CJK fonts documents are rendered with (needs hb-subset from libharfbuzz-bin)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="build again even when the files are there")

    def handle(self, *args, force=False, verbosity=1, **options):
        if shutil.which("hb-subset") is None:
            raise CommandError("hb-subset not found: install libharfbuzz-bin (scripts/system-packages.sh)")
        target = fonts.font_dir()
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target) as work:
            text_file = os.path.join(work, "characters.txt")
            with open(text_file, "w", encoding="utf-8") as out:
                out.write(fonts.characters())
            for name, pattern, _ in fonts.FACES:
                path = target / name
                source, index = _face(pattern)
                if path.is_file() and not force and path.stat().st_mtime >= os.stat(source).st_mtime:
                    continue
                partial = os.path.join(work, name)
                subprocess.run(["hb-subset", f"--font-file={source}", f"--face-index={index}",
                                f"--text-file={text_file}", "--layout-features=*", "--name-IDs=*",
                                f"--output-file={partial}"], check=True)
                os.replace(partial, path)  # never a half-written font where rendering looks
                if verbosity:
                    self.stdout.write(f"{path}: {path.stat().st_size // 1024} KiB from {source} (face {index})")
