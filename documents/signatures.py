"""签名 drawn on the phone (DOMAIN.md "Evidence rules"): the party's, a recipient's or an officer's signature,
drawn with a finger on the field page's canvas and sent as a PNG with its SHA-256 (through the outbox when
offline), or the signer's refusal with a witness's name. Kept like a photo: the bytes checked against the hash,
never changed or deleted (the database refuses), one ``add_signature`` event in the case's record naming it.

A phone that sends the same signature again (its answer lost) gets the one it made: the client_uuid decides.
"""
import hashlib
import io
import warnings

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from documents.models import Document, Signature
from patrol import workflow
from patrol.choices import FIELD_ROLES
from patrol.errors import Conflict, InvalidInput, NotAllowed, NotFound
from patrol.models import Case, User
from patrol.photos import inspect_image

SIGNER_ROLES = FIELD_ROLES
# Who signs an on-site record or an interview as the party.
RECORD_SIGNER_ROLES = (Signature.Role.PARTY,)
# Who signs a 送达回证: the recipient, who may be the party in person (民事诉讼法 第88条).
SERVICE_SIGNER_ROLES = (Signature.Role.RECIPIENT, Signature.Role.PARTY)
# A phone canvas is a few hundred pixels a side (twice that on a dense screen); a drawn line compresses well.
MAX_BYTES = 512 * 1024
MAX_SIDE = 2400


def signatures_for(actor):
    return Signature.objects.for_user(actor).select_related("case__jurisdiction")


def record_signature(*, case_id, actor, client_uuid, role, signer_name, drawn_at, png=None, sha256="",
                     refused=False, witness_name="", officer=None, now=None):
    """Keep one signature (``png``: its bytes) or refusal of ``case``; returns ``(signature, created)``."""
    case = Case.objects.for_user(actor).filter(pk=case_id).first()
    if case is None:
        raise NotFound()
    if actor.role not in SIGNER_ROLES:
        raise NotAllowed(_("只有执法队员和中队长可以采集签名"))
    existing = Signature.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        if existing.case_id != case.pk or existing.sha256 != (sha256 or "").lower():
            raise Conflict(_("这个编号已用于另一个签名"))
        return existing, False
    values = _checked(case, role=role, signer_name=signer_name, png=png, sha256=sha256, refused=refused,
                      witness_name=witness_name, officer=officer)
    now = now or timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("jurisdiction").get(pk=case.pk)
        signature = Signature(client_uuid=client_uuid, case=locked, drawn_at=drawn_at or now, uploaded_by=actor,
                              uploaded_at=now, **values)
        if png is not None and not values["refused"]:
            signature.file.save("signature.png", ContentFile(png), save=False)
        signature.save()
        # workflow's one way to change a case: bump its version (the ETag) and append the event to the chain.
        workflow._save_and_record(locked, actor=actor, action="add_signature", from_status=locked.status, now=now,
                                  payload={"signature": str(client_uuid), "role": signature.role,
                                           "signer": signature.signer_name, "sha256": signature.sha256,
                                           "refused": signature.refused, "witness": signature.witness_name})
    return signature, True


def _checked(case, *, role, signer_name, png, sha256, refused, witness_name, officer):
    errors = {}
    if role not in Signature.Role.values:
        errors["role"] = [_("请选择签名人身份")]
    signer_name, witness_name = (signer_name or "").strip(), (witness_name or "").strip()
    if not signer_name:
        errors["signer_name"] = [_("请填写签名人姓名")]
    if role == Signature.Role.OFFICER:
        if officer is None or officer.jurisdiction_id != case.jurisdiction_id or not officer.is_active:
            errors["officer"] = [_("请选择本辖区的执法人员")]
    elif officer is not None:
        errors["officer"] = [_("只有执法人员的签名才指定执法人员")]
    sha256 = (sha256 or "").lower()
    if refused:
        if not witness_name:
            errors["witness_name"] = [_("拒绝签名时须填写见证人")]
        if png is not None:
            errors["file"] = [_("拒绝签名时不附签名图像")]
        sha256 = ""
    else:
        errors.update(_png_errors(png, sha256))
    if errors:
        raise InvalidInput(fields=errors)
    return {"role": role, "signer_name": signer_name, "officer": officer if isinstance(officer, User) else None,
            "refused": bool(refused), "witness_name": witness_name, "sha256": sha256}


def _png_errors(png, sha256):
    if not png:
        return {"file": [_("请在屏幕上签名")]}
    if len(png) > MAX_BYTES:
        return {"file": [_("签名图像过大")]}
    # The size from the header, before any pixel is decoded: half a megabyte of PNG holds 200 MB of pixels, which the
    # photos' check below would decode whole (a photo may have 50 million) before MAX_SIDE refused them.
    kind, (width, height) = _png_header(png)
    if kind != "PNG" or max(width, height) > MAX_SIDE:
        return {"file": [_("签名图像须为 PNG")]}
    try:
        # The photos' own check: decoded whole with truncation refused, nothing after the image's end.
        content_type, width, height, _exif = inspect_image(ContentFile(png))
    except InvalidInput as error:
        return error.fields
    if content_type != "image/png" or max(width, height) > MAX_SIDE:
        return {"file": [_("签名图像须为 PNG")]}
    if hashlib.sha256(png).hexdigest() != sha256:
        return {"sha256": [_("签名图像的 SHA-256 与声明的不符，请重新提交")]}
    return {}


def _png_header(png):
    """The format and size an image's header states; (None, (0, 0)) when it is no image Pillow knows."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(png)) as image:
                return image.format, image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        return None, (0, 0)


# --- signatures placed in a document -----------------------------------------------------------------------------

def signature_of(case, client_uuid, *, roles, field):
    """The signature ``client_uuid`` taken beforehand on the sign page (or its refusal), for a signing place of a
    document on ``case`` that ``roles`` sign; None when none is named. Another case's signature, or one of another
    role, is refused naming ``field``: a party's signature attests this case's record, nothing else."""
    if client_uuid in (None, ""):
        return None
    signature = Signature.objects.select_related("officer").filter(client_uuid=client_uuid).first()
    if signature is None:
        raise InvalidInput(fields={field: [_("没有这个签名：请先采集签名，并等它上传完成")]})
    if signature.case_id != case.pk:
        raise InvalidInput(fields={field: [_("这个签名不是本案件采集的")]})
    if signature.role not in roles:
        raise InvalidInput(fields={field: [_("这个签名的签名人身份不对：此处须为%(roles)s的签名") % {
            "roles": "、".join(str(Signature.Role(role).label) for role in roles)}]})
    return signature


def officer_signatures(case, client_uuids, officers, *, field="officer_signatures"):
    """Signing place ``officer_signature_N`` → the drawn signature of the Nth of ``officers`` (in the order the
    document lists them), for the officers' signatures taken on the phone; each must be one of ``officers``'."""
    places = {}
    numbers = {officer.pk: n for n, officer in enumerate(officers, start=1)}
    for client_uuid in client_uuids or ():
        signature = signature_of(case, client_uuid, roles=(Signature.Role.OFFICER,), field=field)
        n = numbers.get(signature.officer_id)
        if signature.refused or n is None:
            raise InvalidInput(fields={field: [_("%(name)s的签名不是本文书所列执法人员的手写签名") % {
                "name": signature.signer_name}]})
        if f"officer_signature_{n}" in places:
            raise InvalidInput(fields={field: [_("每名执法人员只签一次名")]})
        places[f"officer_signature_{n}"] = signature
    return places


def signatures_used(case):
    """client_uuid → number of the case's document that placed it (documents.services.issue_document names them in
    ``content["signatures"]``)."""
    used = {}
    for number, named in case.documents.values_list("number", "content__signatures"):
        for client_uuid in (named or {}).values():
            used[client_uuid] = number
    return used


def signature_choices(case):
    """The case's signatures not yet placed in a document, for the forms of the actions that take them: one query
    (the case page offers them in two forms)."""
    placed = Document.objects.filter(case=OuterRef("case"), content__signatures__icontains=Cast(
        OuterRef("client_uuid"), output_field=TextField()))
    unused = list(Signature.objects.filter(case=case).exclude(Exists(placed)).select_related("officer")
                  .order_by("drawn_at", "pk"))
    return {"party_signatures": [s for s in unused if s.role in RECORD_SIGNER_ROLES],
            "recipient_signatures": [s for s in unused if s.role in SERVICE_SIGNER_ROLES],
            "officer_signatures": [s for s in unused if s.role == Signature.Role.OFFICER]}
