"""The 图斑 file a supervisor uploaded for a dry run, kept on the server until the import is confirmed, so that the
commit reads exactly the file the dry run checked, and never longer.

A kept file is deleted by the commit (whatever its outcome), by the dry run itself when it found errors (nothing
can be confirmed), by a cancel, when the same session uploads another file, and otherwise by beat once it is
``TUBAN_UPLOAD_KEEP_HOURS`` old (``delete_abandoned_uploads``). Each upload has a folder of its own named by a
random token that only the uploader's session knows; a commit holds that folder (``held``) so that a second commit
of the same upload (a double click) waits for the first instead of importing the file again, and so does a cancel,
so that it never deletes the file under an import.
"""
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

TOKEN = re.compile(r"^[0-9a-f]{32}$")
# A commit refuses a file this close to the sweep's age, so that the sweep never deletes a file being imported:
# the commit first marks the folder as fresh (claim), and an import takes seconds, not minutes.
CLAIM_MARGIN_S = 10 * 60


@dataclass(frozen=True)
class KeptUpload:
    token: str
    path: Path
    sha256: str


def upload_dir():
    return Path(settings.MEDIA_ROOT) / "tuban-uploads"


def _folder(token):
    if not isinstance(token, str) or not TOKEN.match(token):
        raise ValueError("not an upload token")
    return upload_dir() / token


def keep(upload, suffix):
    """Write the uploaded file into a folder of its own; returns where, and its SHA-256."""
    token = uuid.uuid4().hex
    folder = _folder(token)
    folder.mkdir(parents=True)
    path = folder / f"upload{suffix}"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    return KeptUpload(token=token, path=path, sha256=digest.hexdigest())


def claim(token, suffix, sha256, *, now=None):
    """The kept file for the commit: its path when it is still there, not about to be swept and unchanged since
    the dry run; else None. A claimed folder counts as new again, so the sweep leaves it alone meanwhile."""
    try:
        folder = _folder(token)
    except ValueError:
        return None
    path = folder / f"upload{suffix}"
    now = time.time() if now is None else now
    try:
        age = now - folder.stat().st_mtime
    except FileNotFoundError:
        return None
    if age > settings.TUBAN_UPLOAD_KEEP_HOURS * 3600 - CLAIM_MARGIN_S or not path.is_file():
        return None
    os.utime(folder, (now, now))
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return path if digest.hexdigest() == sha256 else None


@contextlib.contextmanager
def held(token):
    """One commit of a kept upload at a time: a second request for it (a double click sends two) waits here until
    the first has imported the file and deleted it, and then finds nothing to claim. The lock is the kernel's on
    the folder (flock), so it goes with the process that held it, however that process ends."""
    try:
        descriptor = os.open(_folder(token), os.O_RDONLY | os.O_DIRECTORY)
    except (ValueError, OSError):  # not a token, or the upload is gone: nothing to hold, nothing to claim
        descriptor = None
    if descriptor is None:
        yield
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def discard(token):
    """Delete a kept upload and its folder; nothing happens when it is already gone."""
    try:
        shutil.rmtree(_folder(token), ignore_errors=True)
    except ValueError:
        pass


def delete_abandoned_uploads(hours, *, now=None):
    """Delete every kept upload older than ``hours`` (dry runs nobody confirmed or cancelled); returns how many.
    Safe to run twice and beside a commit (see ``claim``)."""
    folder = upload_dir()
    if not folder.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - hours * 3600
    deleted = 0
    for entry in folder.iterdir():
        try:
            if entry.lstat().st_mtime >= cutoff:
                continue
        except FileNotFoundError:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        deleted += 1
    return deleted
