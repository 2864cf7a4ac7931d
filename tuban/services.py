"""The actions on 图斑: assign, take an evidence photo, verify. One function each, keyword-only, atomic, the row
locked; a verdict ``illegal`` makes its case through patrol.workflow.report_finding (the case's own procedure and
record start there), never by writing a Case here."""
import hashlib
import json
import uuid

from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gis.constants import SRID
from patrol import workflow
from patrol.choices import FIELD_ROLES, Category, PhotoStage, Role, Stage
from patrol.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed, NotFound
from patrol.models import Case, User
from patrol.photos import checked_upload, received_once
from tuban.choices import VERDICT_STATUS, EvidenceKind, TubanStatus, Verdict
from tuban.models import Tuban, TubanPhoto, Verification

# Names the case and case photos an illegal verdict creates, so that a retried verification makes the same ones.
CASE_NAMESPACE = uuid.UUID("6f1c9f3e-2b7a-4f59-9d1e-0c7b8f4a9e21")


# --- assignment -----------------------------------------------------------------------------------


def assign(*, actor, inspector, tuban_ids=None, batch=None, village=None):
    """Give 图斑 to an inspector: by hand (``tuban_ids``) or every pending one of ``village`` in ``batch``.
    Returns how many were assigned."""
    if actor.role != Role.SUPERVISOR:
        raise NotAllowed(_("只有中队长可以分派图斑"))
    if inspector is not None and (inspector.jurisdiction_id != actor.jurisdiction_id or not inspector.is_active
                                  or inspector.role not in FIELD_ROLES):
        raise InvalidInput(fields={"inspector": [_("不是本单位的执法队员")]})
    tuban = Tuban.objects.for_jurisdiction(actor.jurisdiction_id).filter(status=TubanStatus.PENDING)
    if tuban_ids is not None:
        tuban = tuban.filter(pk__in=list(tuban_ids))
    elif batch is not None and village is not None:
        if batch.jurisdiction_id != actor.jurisdiction_id or village.jurisdiction_id != actor.jurisdiction_id:
            raise NotFound()
        tuban = tuban.filter(batch=batch, village=village)
    else:
        raise InvalidInput(fields={"tuban": [_("请选择图斑，或选择批次和行政村")]})
    with transaction.atomic():
        ids = list(tuban.select_for_update().values_list("pk", flat=True))
        return Tuban.objects.filter(pk__in=ids).update(assignee=inspector)


# --- evidence photos ------------------------------------------------------------------------------


def _tuban_of(actor, tuban_id, *, lock=False):
    rows = Tuban.objects.select_related("batch", "jurisdiction")
    if lock:
        rows = rows.select_for_update(of=("self",))
    tuban = rows.filter(pk=tuban_id).first()
    if tuban is None or tuban.jurisdiction_id != actor.jurisdiction_id:
        raise NotFound()
    return tuban


def receive_evidence_photo(*, tuban_id, actor, upload, client_uuid, sha256, taken_at, kind, location=None,
                           accuracy_m=None, heading=None):
    """One 举证 photo from the phone, checked as every photo is (patrol.photos) and safe to send again: returns
    ``(photo, created)``; the same ``client_uuid`` with other bytes is a Conflict."""
    if actor.role not in FIELD_ROLES:
        raise NotAllowed(_("只有执法队员和中队长可以核查图斑"))
    tuban = _tuban_of(actor, tuban_id)

    def store():
        content_type, width, height, exif, digest = checked_upload(upload, sha256)
        photo = TubanPhoto(client_uuid=client_uuid, tuban=tuban, kind=kind, sha256=digest, content_type=content_type,
                           size_bytes=upload.size, taken_at=taken_at, location=location, accuracy_m=accuracy_m,
                           heading=heading, exif=exif, width=width, height=height, uploaded_by=actor)
        photo.file.save("upload", upload, save=False)
        photo.save()
        return photo

    return received_once(TubanPhoto.objects, client_uuid=client_uuid, upload=upload, store=store,
                         belongs=lambda photo: photo.tuban_id == tuban.pk)


# --- verification ---------------------------------------------------------------------------------


def distance_to_polygon_m(polygon, point):
    """0 inside, else metres to the edge (in an azimuthal projection centred on the point: exact enough nearby)."""
    if polygon.intersects(point):
        return 0.0
    local = SpatialReference(f"+proj=aeqd +lat_0={point.y:.7f} +lon_0={point.x:.7f} +datum=WGS84 +units=m +no_defs")
    to_local = CoordTransform(SpatialReference(SRID), local)
    return round(polygon.transform(to_local, clone=True).distance(point.transform(to_local, clone=True)), 1)


def _submission_hash(**content):
    normal = {key: (str(value) if value is not None else None) for key, value in content.items()}
    return hashlib.sha256(json.dumps(normal, sort_keys=True).encode()).hexdigest()


def verify(*, tuban_id, actor, client_uuid, verdict, photos, location=None, accuracy_m=None, position_reason="",
           permit_number="", case_id=None, note="", category=Category.NEW_CONSTRUCTION,
           stage=Stage.UNDER_CONSTRUCTION, now=None):
    """Record the on-site check of a 图斑 and its result; safe to send again with the same ``client_uuid``.

    ``photos`` are the client_uuids of the 举证 photos already uploaded for this 图斑: at least one far, one near and
    one inside. Returns ``(verification, created)``.
    """
    if actor.role not in FIELD_ROLES:
        raise NotAllowed(_("只有执法队员和中队长可以核查图斑"))
    if verdict not in Verdict.values:
        raise InvalidInput(fields={"verdict": [_("无效的核查结果")]})
    if location is not None:
        location = Point(location.x, location.y, srid=SRID)
    photo_ids = sorted(str(each) for each in photos or ())
    digest = _submission_hash(tuban=tuban_id, verdict=verdict, photos=photo_ids,
                              location=[round(location.x, 7), round(location.y, 7)] if location else None,
                              position_reason=position_reason, permit_number=permit_number, case=case_id, note=note,
                              category=category, stage=stage)
    existing = Verification.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        return _same_verification(existing, actor, tuban_id, digest), False
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return _verify(tuban_id=tuban_id, actor=actor, client_uuid=client_uuid, verdict=verdict,
                           photo_ids=photo_ids, location=location, accuracy_m=accuracy_m,
                           position_reason=position_reason.strip(), permit_number=permit_number.strip(),
                           case_id=case_id, note=note.strip(), category=category, stage=stage, now=now,
                           digest=digest), True
    except IntegrityError:
        existing = Verification.objects.filter(client_uuid=client_uuid).first()
        if existing is None:
            raise
        return _same_verification(existing, actor, tuban_id, digest), False


def _same_verification(existing, actor, tuban_id, digest):
    if (existing.tuban_id != tuban_id or existing.verified_by.jurisdiction_id != actor.jurisdiction_id
            or existing.submission_hash != digest):
        raise Conflict(_("该编号（client_uuid）已用于另一次内容不同的核查"))
    return existing


def _verify(*, tuban_id, actor, client_uuid, verdict, photo_ids, location, accuracy_m, position_reason,
            permit_number, case_id, note, category, stage, now, digest):
    tuban = _tuban_of(actor, tuban_id, lock=True)
    if tuban.status != TubanStatus.PENDING:
        raise InvalidTransition(_("该图斑已核查（%(status)s）") % {"status": tuban.get_status_display()})

    evidence = list(TubanPhoto.objects.filter(tuban=tuban, client_uuid__in=photo_ids))
    if len(evidence) != len(set(photo_ids)):
        raise InvalidInput(fields={"photos": [_("照片不属于该图斑，或尚未上传")]})
    missing = [kind.label for kind in EvidenceKind if not any(photo.kind == kind for photo in evidence)]
    if missing:
        raise InvalidInput(fields={"photos": [_("举证照片须包括远景、近景和内部照片，缺少：%(missing)s")
                                              % {"missing": "、".join(str(each) for each in missing)}]})

    # The inspector stands in the 图斑 or within the jurisdiction's distance of it, or says why not (e.g. a fenced
    # site checked from the road).
    near_m = tuban.jurisdiction.tuban_near_m
    distance = distance_to_polygon_m(tuban.polygon, location) if location is not None else None
    if (distance is None or distance > near_m) and not position_reason:
        message = (_("没有核查位置，请说明原因") if distance is None else
                   _("核查位置距图斑 %(distance).0f 米（超过 %(near)d 米），请说明原因")
                   % {"distance": distance, "near": near_m})
        raise InvalidInput(fields={"position_reason": [message]})

    if verdict == Verdict.LEGAL and not permit_number:
        raise InvalidInput(fields={"permit_number": [_("合法的图斑须填写许可或批准文号")]})
    if verdict == Verdict.ALREADY_HANDLED:
        case = Case.objects.filter(pk=case_id, jurisdiction_id=actor.jurisdiction_id).first() if case_id else None
        if case is None:
            raise InvalidInput(fields={"case": [_("请选择本单位已有的案件")]})
        tuban.case = case
    elif verdict == Verdict.ILLEGAL:
        tuban.case = _open_case(tuban, actor, client_uuid, evidence, category=category, stage=stage, note=note,
                                now=now)

    verification = Verification.objects.create(
        client_uuid=client_uuid, tuban=tuban, verdict=verdict, location=location, accuracy_m=accuracy_m,
        distance_m=distance, position_reason=position_reason, permit_number=permit_number, note=note,
        verified_by=actor, verified_at=now, submission_hash=digest)
    verification.photos.set(evidence)
    tuban.status = VERDICT_STATUS[Verdict(verdict)]
    if tuban.assignee_id is None:
        tuban.assignee = actor
    tuban.save(update_fields=["status", "case", "assignee"])
    return verification


def _open_case(tuban, actor, client_uuid, evidence, *, category, stage, note, now):
    """The case of an illegal 图斑: a finding at the 图斑 (its point on surface) with its area, the batch and number
    in the description, and the 举证 photos as the case's first photos."""
    description = "卫片图斑 {number}（{batch}）{change}。{note}".format(
        number=tuban.number, batch=tuban.batch.name, change=f"，变化类型：{tuban.change_type}" if tuban.change_type else "",
        note=note).strip()
    case, _created = workflow.report_finding(
        actor=actor, client_uuid=uuid.uuid5(CASE_NAMESPACE, str(client_uuid)), location=tuban.polygon.point_on_surface,
        category=category, stage=stage, observed_at=now, now=now, description=description[:5000],
        estimated_area_m2=round(tuban.area_m2, 1), address=f"图斑 {tuban.number}"[:200])
    for photo in evidence:
        with photo.file.open("rb") as handle:
            content = ContentFile(handle.read(), name=photo.file.name.rsplit("/", 1)[-1])
        workflow.attach_photo(
            case_id=case.pk, actor=actor, client_uuid=uuid.uuid5(CASE_NAMESPACE, str(photo.client_uuid)), file=content,
            sha256=photo.sha256, content_type=photo.content_type, size_bytes=photo.size_bytes, taken_at=photo.taken_at,
            stage=PhotoStage.BEFORE, location=photo.location, accuracy_m=photo.accuracy_m,
            exif={**photo.exif, "tuban_evidence": photo.kind, "heading": photo.heading}, width=photo.width,
            height=photo.height, now=now)
    return case


def inspectors(jurisdiction):
    return User.objects.filter(jurisdiction=jurisdiction, is_active=True, role__in=FIELD_ROLES).order_by("username")
