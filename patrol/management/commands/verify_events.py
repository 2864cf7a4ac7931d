"""Check the record: every case's hash-chained events, and every stored photo's (a case's or a 图斑's), video's and
issued document's file against its SHA-256.

Cases are read in chunks by primary key with their events prefetched (two queries per chunk, however
many events), and photo and document files are hashed in chunks, so the check runs in constant memory on a county's
worth of data. The command fails (non-zero exit) when anything does not match.
"""
import hashlib

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from gis.models import Jurisdiction
from patrol.ledger import verify_case_chain
from documents.models import Document
from patrol.models import Case, CaseEvent, Photo
from tuban.models import TubanPhoto
from videos.models import Video

READ_SIZE = 1024 * 1024


class Command(BaseCommand):
    @property
    def help(self):
        # argparse needs a str, not a lazy proxy: translate when the parser is built.
        return _("校验全过程记录：每个案件的记录哈希链，以及每张照片的文件与登记的 SHA-256 是否一致")

    def add_arguments(self, parser):
        parser.add_argument("--jurisdiction", metavar="CODE", help=_("只校验该执法单位（简码）的数据"))
        parser.add_argument("--chunk-size", type=int, default=500, help=_("每批读取的案件或照片数"))
        parser.add_argument("--max-failures", type=int, default=20, help=_("最多列出的问题条数"))

    def handle(self, *args, jurisdiction=None, chunk_size, max_failures, verbosity=1, **options):
        if chunk_size < 1 or max_failures < 1:
            raise CommandError(_("--chunk-size 和 --max-failures 须为正整数"))
        cases, photos, documents = Case.objects.all(), Photo.objects.all(), Document.objects.all()
        videos, tuban_photos = Video.objects.all(), TubanPhoto.objects.all()
        if jurisdiction:
            found = Jurisdiction.objects.filter(code=jurisdiction).first()
            if found is None:
                raise CommandError(_("没有简码为 %(code)s 的执法单位") % {"code": jurisdiction})
            cases, photos = cases.filter(jurisdiction=found), photos.filter(case__jurisdiction=found)
            documents = documents.filter(case__jurisdiction=found)
            videos = videos.filter(case__jurisdiction=found)
            tuban_photos = tuban_photos.filter(tuban__jurisdiction=found)
        self.verbosity, self.chunk_size, self.max_failures = verbosity, chunk_size, max_failures
        self.failures, self.failure_count = [], 0

        case_count, event_count = self.check_cases(cases)
        photo_count = self.check_photos(photos)
        video_count = self.check_photos(videos, label=_("视频"),
                                        failure=_("视频 #%(id)s（%(uuid)s，案件 %(case)s）：%(problem)s"))
        tuban_photo_count = self.check_photos(
            tuban_photos, label=_("图斑举证照片"), owner=("tuban", "number"),
            failure=_("图斑举证照片 #%(id)s（%(uuid)s，图斑 %(tuban)s）：%(problem)s"))
        document_count = self.check_documents(documents)

        counts = {"cases": case_count, "events": event_count, "photos": photo_count, "videos": video_count,
                  "tuban_photos": tuban_photo_count, "documents": document_count, "failures": self.failure_count}
        if tuban_photo_count:
            summary = _("已检查 %(cases)s 个案件、%(events)s 条记录、%(photos)s 张照片、%(videos)s 个视频、"
                        "%(tuban_photos)s 张图斑举证照片、%(documents)s 份文书，发现 %(failures)s 处问题") % counts
        elif video_count:
            summary = _("已检查 %(cases)s 个案件、%(events)s 条记录、%(photos)s 张照片、%(videos)s 个视频、"
                        "%(documents)s 份文书，发现 %(failures)s 处问题") % counts
        else:
            summary = _("已检查 %(cases)s 个案件、%(events)s 条记录、%(photos)s 张照片、%(documents)s 份文书，"
                        "发现 %(failures)s 处问题") % counts
        if not self.failure_count:
            if verbosity:
                self.stdout.write(self.style.SUCCESS(summary))
            return
        self.stdout.write(summary)
        lines = [_("第一处问题：%(first)s") % {"first": self.failures[0]}]
        lines += [f"  - {failure}" for failure in self.failures]
        if self.failure_count > len(self.failures):
            lines.append(_("  （另有 %(more)s 处未列出）") % {"more": self.failure_count - len(self.failures)})
        raise CommandError("\n".join(lines))

    def fail(self, message):
        self.failure_count += 1
        if len(self.failures) < self.max_failures:
            self.failures.append(message)

    def progress(self, label, done, total):
        # Small sets finish in one chunk; only long runs need to show they are alive.
        if self.verbosity and total > self.chunk_size:
            self.stdout.write(_("%(label)s：%(done)s / %(total)s") % {"label": label, "done": done, "total": total})

    def check_cases(self, cases):
        total = cases.count()
        events = CaseEvent.objects.select_related("actor").order_by("seq")
        chunks = (cases.only("pk", "reference", "status", "version")
                  .prefetch_related(Prefetch("events", queryset=events)).order_by("pk"))
        done = event_count = last_pk = 0
        while True:
            chunk = list(chunks.filter(pk__gt=last_pk)[: self.chunk_size])
            if not chunk:
                break
            for case in chunk:
                case_events = case.events.all()
                event_count += len(case_events)
                broken = verify_case_chain(case, case_events)
                if broken:
                    self.fail(broken)
            done += len(chunk)
            last_pk = chunk[-1].pk
            self.progress(_("案件"), done, total)
        return done, event_count

    def check_photos(self, photos, label=None, failure=None, owner=("case", "reference")):
        """Each photo's (or, given ``label`` and ``failure``, each video's or 图斑 photo's) file against its SHA-256,
        1 MB at a time; ``owner`` is the relation the row belongs to and the field that names it in ``failure``."""
        label = label or _("照片")
        failure = failure or _("照片 #%(id)s（%(uuid)s，案件 %(case)s）：%(problem)s")
        relation, name = owner
        total = photos.count()
        chunks = (photos.select_related(relation).only("pk", "client_uuid", "file", "sha256", f"{relation}__{name}")
                  .order_by("pk"))
        done = last_pk = 0
        while True:
            chunk = list(chunks.filter(pk__gt=last_pk)[: self.chunk_size])
            if not chunk:
                break
            for photo in chunk:
                problem = photo_file_problem(photo)
                if problem:
                    self.fail(failure % {"id": photo.pk, "uuid": photo.client_uuid,
                                         relation: getattr(getattr(photo, relation), name), "problem": problem})
            done += len(chunk)
            last_pk = chunk[-1].pk
            self.progress(label, done, total)
        return done


    def check_documents(self, documents):
        """Each issued document's PDF is the one whose SHA-256 the record holds (issue #14)."""
        total = documents.count()
        chunks = documents.select_related("case").only("pk", "number", "pdf", "sha256", "case__reference").order_by("pk")
        done = last_pk = 0
        while True:
            chunk = list(chunks.filter(pk__gt=last_pk)[: self.chunk_size])
            if not chunk:
                break
            for document in chunk:
                problem = stored_file_problem(document.pdf, document.sha256)
                if problem:
                    self.fail(_("文书 %(number)s（案件 %(case)s）：%(problem)s") % {
                        "number": document.number, "case": document.case.reference, "problem": problem})
            done += len(chunk)
            last_pk = chunk[-1].pk
            self.progress(_("文书"), done, total)
        return done


def photo_file_problem(photo):
    """Why the photo's stored file does not prove its evidence, or None."""
    return stored_file_problem(photo.file, photo.sha256)


def stored_file_problem(field_file, sha256):
    """Why a stored file is not the one whose SHA-256 was registered, or None."""
    name = field_file.name
    if not name:
        return _("没有文件")
    digest = hashlib.sha256()
    try:
        with field_file.storage.open(name, "rb") as stored:
            for block in stored.chunks(READ_SIZE):
                digest.update(block)
    except Exception as exc:  # noqa: BLE001 - whatever the storage says, the evidence cannot be shown
        return _("文件 %(file)s 无法读取（%(error)s）") % {"file": name, "error": exc.__class__.__name__}
    if digest.hexdigest() != sha256:
        return _("文件 %(file)s 与登记的 SHA-256 不符") % {"file": name}
    return None
