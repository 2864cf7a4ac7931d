"""Backup and restore (manage.py backup / restore): a PostgreSQL custom-format dump and a manifest of every
evidence object with its SHA-256 (docs/OPERATIONS.md "Backup and restore").

Evidence files on object storage are not copied: they are locked in their bucket for the retention years
(config/storage.py), and the manifest names each object's version and hash, so a restore can check that the bucket
still holds exactly what the database refers to. On the local disk (no S3_ENDPOINT_URL) the files are copied into
the backup under files/.

An incremental backup (``since``: an earlier backup) reads only what may have changed since that backup: an object the
earlier list names for the same row is taken from it when it provably is the same object (on object storage the same
version id: a locked version's bytes cannot change; on the local disk the same size and modification time, as rsync
judges, and its copy hard-linked from the earlier backup's files/). It still lists every object and its files/ still
holds every file, so each backup restores on its own.
"""
import errno
import functools
import hashlib
import json
import os
import re
import subprocess
from collections import namedtuple
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from documents.models import Document, Signature
from patrol.models import Photo
from tuban.models import TubanPhoto
from videos.models import Video

READ_SIZE = 1024 * 1024
MANIFEST = "manifest.json"
OBJECTS = "objects.jsonl"
DUMP = "database.dump"
# Objects remembered while listing (one object named by several rows is read once); enough for every shared file.
REMEMBERED_OBJECTS = 100_000
# The order evidence_files() lists them in (then by id): an earlier list is read alongside in one pass.
KINDS = ("photo", "video", "document", "signature", "tuban_photo")

# What a backup knows of one object: read now, or carried over from the earlier backup's line.
Listed = namedtuple("Listed", "sha256 size version_id mtime")


class BackupError(Exception):
    pass


def evidence_files():
    """(kind, id, field file, registered SHA-256) of every evidence file the database refers to."""
    for photo in Photo.objects.only("pk", "file", "sha256").order_by("pk").iterator(chunk_size=1000):
        yield "photo", photo.pk, photo.file, photo.sha256
    for video in Video.objects.only("pk", "file", "sha256").order_by("pk").iterator(chunk_size=1000):
        yield "video", video.pk, video.file, video.sha256
    for document in Document.objects.only("pk", "pdf", "sha256").order_by("pk").iterator(chunk_size=1000):
        yield "document", document.pk, document.pdf, document.sha256
    for signature in (Signature.objects.exclude(file="").only("pk", "file", "sha256").order_by("pk")
                      .iterator(chunk_size=1000)):
        yield "signature", signature.pk, signature.file, signature.sha256
    for photo in TubanPhoto.objects.only("pk", "file", "sha256").order_by("pk").iterator(chunk_size=1000):
        yield "tuban_photo", photo.pk, photo.file, photo.sha256


class LineCount:
    """A ``copy`` for read_sha256 that only counts the lines going through it."""
    lines = 0

    def write(self, block):
        self.lines += block.count(b"\n")


def read_sha256(handle, copy=None):
    """SHA-256 and size of what ``handle`` reads, a block at a time (a million-case dump is gigabytes); each block
    also written to ``copy`` when given, so a file is copied and hashed in one pass."""
    digest, size = hashlib.sha256(), 0
    for block in iter(lambda: handle.read(READ_SIZE), b""):
        digest.update(block)
        size += len(block)
        if copy is not None:
            copy.write(block)
    return digest.hexdigest(), size


def sha256_of_stored(name, storage=default_storage):
    with storage.open(name, "rb") as handle:
        return read_sha256(handle)


def sha256_of_file(path):
    with open(path, "rb") as handle:
        return read_sha256(handle)[0]


def copy_and_hash(name, target, storage=default_storage):
    """Copy a stored file to ``target`` and return its SHA-256 and size, reading it once."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with storage.open(name, "rb") as source, target.open("wb") as copy:
        return read_sha256(source, copy)


def object_version(name, storage=default_storage):
    """The version id of the object in a versioned bucket (None on the local disk)."""
    if not hasattr(storage, "bucket_name"):
        return None
    head = storage.connection.meta.client.head_object(Bucket=storage.bucket_name, Key=name)
    return head.get("VersionId")


def hard_link(source, target, size):
    """Hard-link an earlier backup's copy of a file (of ``size`` bytes) into this one; False when that copy is gone or
    cut short, or across filesystems: the file is then copied from the media folder and read as any new one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if source.stat().st_size != size:
            return False
        os.link(source, target)
    except FileExistsError:  # several rows name the object: linked for the first
        pass
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.ENOENT):
            raise
        return False
    return True


def storage_label():
    return "local" if not hasattr(default_storage, "bucket_name") else f"s3:{default_storage.bucket_name}"


def verified_backup(directory):
    """The manifest of a complete earlier backup whose files are the ones it names, or BackupError: nothing of a
    backup that does not verify is trusted."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        dump_sha256, objects_sha256 = manifest["dump_sha256"], manifest["objects_sha256"]
        object_count, storage = manifest["object_count"], manifest["storage"]
    except FileNotFoundError as exc:
        raise BackupError(f"{directory} is not a complete backup: no {MANIFEST}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{directory / MANIFEST} does not verify: not a backup manifest ({exc})") from exc
    if sha256_of_file(directory / DUMP) != dump_sha256:
        raise BackupError(f"{directory / DUMP} does not verify: not the dump its manifest names (SHA-256)")
    lines = LineCount()
    with (directory / OBJECTS).open("rb") as handle:
        if read_sha256(handle, lines)[0] != objects_sha256 or lines.lines != object_count:
            raise BackupError(f"{directory / OBJECTS} does not verify: not the list of objects its manifest names "
                              f"(SHA-256 or count)")
    if storage != storage_label():
        raise BackupError(f"{directory} was made from {storage}, not from {storage_label()}: nothing to carry over")
    return manifest


def latest_backup(directory):
    """The newest complete backup (by its manifest's created_at) beside the new ``directory``, or None."""
    directory = Path(directory)
    found = []
    for candidate in directory.parent.iterdir() if directory.parent.is_dir() else ():
        if candidate != directory and (candidate / MANIFEST).is_file():
            try:
                found.append((json.loads((candidate / MANIFEST).read_text())["created_at"], candidate))
            except (ValueError, KeyError, TypeError) as exc:
                raise BackupError(f"{candidate / MANIFEST} does not verify: not a backup manifest ({exc})") from exc
    return max(found)[1] if found else None


class EarlierList:
    """The earlier backup's objects.jsonl read alongside the new list: both are in evidence_files() order (kind, then
    id), so one pass finds each row's earlier line without holding millions of them in memory."""

    def __init__(self, directory):
        self.lines = manifest_objects(directory)
        self.entry = next(self.lines, None)

    @staticmethod
    def key(kind, pk):
        return KINDS.index(kind), pk

    def listed(self, kind, pk, name):
        """The earlier line of this row as a Listed, when it names the same object; else None."""
        key = self.key(kind, pk)
        while self.entry is not None and self.key(self.entry["kind"], self.entry["id"]) < key:
            self.entry = next(self.lines, None)
        entry = self.entry
        if entry is None or self.key(entry["kind"], entry["id"]) != key or entry["name"] != name:
            return None
        return Listed(entry["sha256"], entry["size"], entry.get("version_id"), entry.get("mtime"))


def pg_environment():
    """libpq's environment for the default database (no password on a command line)."""
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": db.get("HOST") or "", "PGPORT": str(db.get("PORT") or ""),
           "PGUSER": db.get("USER") or "", "PGDATABASE": db["NAME"]}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def backup(directory, since=None, log=print):
    """A full backup into the new ``directory``; with ``since`` (an earlier backup's folder) an incremental one."""
    directory = Path(directory)
    if connection.vendor != "postgresql":
        raise BackupError("backup needs PostGIS (DATABASE_URL=postgis://...); for SpatiaLite copy var/ while stopped")
    if directory.exists():
        raise FileExistsError(f"{directory} already exists: a backup goes into a new folder")
    based_on = None
    if since is not None:
        since = Path(since)
        earlier = verified_backup(since)
        based_on = {"directory": str(since.resolve()), "created_at": earlier["created_at"],
                    "manifest_sha256": sha256_of_file(since / MANIFEST)}
    directory.mkdir(parents=True, exist_ok=False)
    started = timezone.now()
    # The dump first: the manifest then lists at least every file the dump refers to (evidence is append-only).
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(directory / DUMP)],
                   env=pg_environment(), check=True, capture_output=True)
    local = storage_label() == "local"
    counts = {"read": 0, "carried_over": 0}

    # An object several rows name is read once (the least recently named are forgotten: memory stays bounded).
    @functools.lru_cache(maxsize=REMEMBERED_OBJECTS)
    def read(name, earlier=None):
        """What the object is now; taken from ``earlier`` (the earlier backup's line) when it cannot have changed.
        Its version or modification time is looked at before it is read: a change during the read shows next time."""
        if local:
            stat = os.stat(default_storage.path(name))
            now = Listed(None, stat.st_size, None, stat.st_mtime_ns)
            unchanged = (earlier is not None and (earlier.size, earlier.mtime) == (now.size, now.mtime)
                         and hard_link(since / "files" / name, directory / "files" / name, now.size))
        else:
            now = Listed(None, None, object_version(name), None)
            unchanged = earlier is not None and now.version_id is not None and earlier.version_id == now.version_id
        if unchanged:
            counts["carried_over"] += 1
            return earlier
        counts["read"] += 1
        if local:  # copied and hashed in one pass; never written through a link into the earlier backup's copy
            (directory / "files" / name).unlink(missing_ok=True)
            sha256, size = copy_and_hash(name, directory / "files" / name)
        else:
            sha256, size = sha256_of_stored(name)
        return now._replace(sha256=sha256, size=size)

    # One line per object, written as it is read: a million cases name millions of objects, which as one JSON
    # document took 8 GB of memory to write (and again to read back at restore).
    problems, count = [], 0
    earlier_list = EarlierList(since) if since is not None else None
    with (directory / OBJECTS).open("w") as lines:
        for kind, pk, field_file, registered in evidence_files():
            name = field_file.name
            # A carried-over hash is compared with the registered one all the same.
            listed = read(name, earlier_list.listed(kind, pk, name) if earlier_list else None)
            if listed.sha256 != registered:
                problems.append(f"{kind} {pk}: {name} does not match its registered SHA-256")
            entry = {"kind": kind, "id": pk, "name": name, "sha256": listed.sha256, "size": listed.size,
                     "version_id": listed.version_id}
            if local:  # what the next incremental backup compares
                entry["mtime"] = listed.mtime
            lines.write(json.dumps(entry, ensure_ascii=False) + "\n")
            count += 1
    manifest = {"created_at": started.isoformat(), "database": connection.settings_dict["NAME"],
                "storage": storage_label(), "dump_sha256": sha256_of_file(directory / DUMP),
                "objects_file": OBJECTS, "objects_sha256": sha256_of_file(directory / OBJECTS), "object_count": count,
                "based_on": based_on, "objects_read": counts["read"], "objects_carried_over": counts["carried_over"],
                "problems": problems}
    (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    log(f"backup {directory}: database dump {(directory / DUMP).stat().st_size} bytes, {count} evidence "
        f"objects ({counts['read']} read, {counts['carried_over']} carried over"
        f"{f' from {since}' if since is not None else ''}), {len(problems)} problems")
    return manifest


def manifest_objects(directory):
    """The objects a backup lists (objects.jsonl), one dict at a time."""
    with (Path(directory) / OBJECTS).open() as lines:
        for line in lines:
            yield json.loads(line)


def database_is_empty():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'")
        return cursor.fetchone()[0] == 0


def restore(directory, log=print):
    """Restore the dump into the configured (empty) database, then check every object of the manifest."""
    directory = Path(directory)
    manifest = json.loads((directory / MANIFEST).read_text())
    if sha256_of_file(directory / DUMP) != manifest["dump_sha256"]:
        raise BackupError(f"{directory / DUMP} is not the dump the manifest names (SHA-256)")
    if sha256_of_file(directory / OBJECTS) != manifest["objects_sha256"]:
        raise BackupError(f"{directory / OBJECTS} is not the list of objects the manifest names (SHA-256)")
    if connection.vendor != "postgresql":
        raise BackupError("restore needs PostGIS (DATABASE_URL=postgis://...)")
    if not database_is_empty():
        raise BackupError(f"database {connection.settings_dict['NAME']} is not empty: restore only into a new one")
    env = pg_environment()
    # Extensions (PostGIS) the new database already has would stop pg_restore: leave them out of its list.
    listing = subprocess.run(["pg_restore", "--list", str(directory / DUMP)], env=env, check=True,
                             capture_output=True, text=True).stdout
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension")
        installed = {row[0] for row in cursor.fetchall()}
    def already_there(line):
        match = re.search(r" (?:EXTENSION -|COMMENT - EXTENSION) (\S+)", line)
        return bool(match) and match.group(1) in installed

    kept = [line for line in listing.splitlines() if not already_there(line)]
    (directory / "restore.list").write_text("\n".join(kept) + "\n")
    connection.close()
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
                    "--use-list", str(directory / "restore.list"), "--dbname", env["PGDATABASE"], str(directory / DUMP)],
                   env=env, check=True, capture_output=True, text=True)
    local = manifest["storage"] == "local"
    missing, different = [], []

    @functools.lru_cache(maxsize=REMEMBERED_OBJECTS)
    def check(name):
        """The object's SHA-256 now (put back from the backup first on the local disk), or None when missing."""
        if local and not default_storage.exists(name):
            with (directory / "files" / name).open("rb") as source:
                default_storage._save(name, File(source))  # under its own name (save() might pick another)
        try:
            return sha256_of_stored(name)[0]
        except Exception:  # noqa: BLE001 - whatever the storage says, the object is not there
            return None

    for entry in manifest_objects(directory):
        sha256 = check(entry["name"])
        if sha256 is None:
            missing.append(entry["name"])
        elif sha256 != entry["sha256"]:
            different.append(entry["name"])
    log(f"restored {directory} into {connection.settings_dict['NAME']}: {manifest['object_count']} evidence objects, "
        f"{len(missing)} missing, {len(different)} different")
    return missing, different
