"""Issuing documents and recording their service (DOMAIN.md, "Documents", "Service (送达)").

``issue_document`` is called by the case actions (#13) inside their transaction, with the case row locked; the
action writes the CaseEvent and puts the document's number and SHA-256 into its payload, so the record proves
which PDF was served. ``record_service`` is an action of its own: it writes its CaseEvent here.
"""
import hashlib
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from documents.choices import (
    ABBREVIATION,
    DEADLINE_KINDS,
    SEQUENCE_SCOPE,
    SERVED_KINDS,
    DocumentKind,
    ElectronicChannel,
    RecipientRelation,
)
from documents.context import build_content, officer_entry
from documents.images import print_copy
from documents.models import Document, ServiceRecord, Signature
from documents.rendering import render_pdf
from documents.signatures import (
    SERVICE_SIGNER_ROLES,
    officer_signatures,
    record_signature,
    signature_of,
    signatures_used,
)
from patrol import ledger, periods, workflow
from patrol.choices import DEADLINE_STATUSES, PhotoStage, Role, ServiceMethod
from patrol.errors import Conflict, InvalidInput, NotAllowed, NotFound, RuleViolation
from patrol.models import Case, Photo
from patrol.photos import store_uploaded_photo
from patrol.sequences import take_next_number

K = DocumentKind
M = ServiceMethod

# The earlier documents a document refers to ("本机关于…作出《限期拆除决定书》（…）"), filled in at issue.
REFERS_TO = {
    K.INTENT_NOTICE: (K.RECTIFICATION_ORDER, K.STOP_CONSTRUCTION_ORDER),
    K.HEARING_NOTICE: (K.INTENT_NOTICE,),
    K.DEMOLITION_DECISION: (K.INTENT_NOTICE, K.RECTIFICATION_ORDER, K.STOP_CONSTRUCTION_ORDER),
    K.REMINDER: (K.DEMOLITION_DECISION,),
    K.ENFORCEMENT_DECISION: (K.DEMOLITION_DECISION, K.REMINDER),
    K.ENFORCEMENT_ANNOUNCEMENT: (K.DEMOLITION_DECISION, K.REMINDER, K.ENFORCEMENT_DECISION),
    K.COURT_ENFORCEMENT_APPLICATION: (K.DEMOLITION_DECISION, K.REMINDER),
    K.EXECUTION_RECORD: (K.ENFORCEMENT_DECISION,),
}
# Kinds that list every document of the case (the case file's cover, the closing form).
LISTS_DOCUMENTS = frozenset({K.CLOSING_APPROVAL, K.DOSSIER_COVER})


def document_number(jurisdiction, kind, year, seq):
    prefix = jurisdiction.doc_prefix or jurisdiction.code
    return f"{prefix}〔{year}〕{ABBREVIATION[kind]}字第{seq}号"


def _first_effective(document):
    dates = [d for d in document.services.values_list("effective_on", flat=True) if d is not None]
    return min(dates).isoformat() if dates else None


def _summary(document):
    return {"title": document.content.get("title") or str(document.get_kind_display()), "number": document.number,
            "issued_on": document.issued_on.isoformat(), "effective_on": _first_effective(document)}


def _history(case, kind):
    """What the document of ``kind`` cites of the case's earlier documents and dates."""
    extra = {}
    wanted = REFERS_TO.get(kind, ())
    if wanted:
        previous = dict.fromkeys(wanted)  # every key present: templates may fall back from one kind to another
        for document in case.documents.filter(kind__in=wanted).order_by("issued_at", "pk"):
            previous[document.kind] = _summary(document)  # the latest of each kind wins
        extra["previous"] = previous
    if kind in LISTS_DOCUMENTS:
        extra["documents"] = [_summary(d) for d in case.documents.order_by("issued_at", "pk")]
        filed = case.events.filter(action="file").order_by("seq").values_list("created_at", flat=True).first()
        extra["filed_on"] = timezone.localdate(filed).isoformat() if filed else None
        extra["closed_on"] = timezone.localdate(case.closed_at).isoformat() if case.closed_at else None
    return extra


def _named_signatures(case, signatures):
    """``signatures`` (place → Signature) as the content names them, once each: a signature attests one document,
    so one already placed in another document of the case is refused (409)."""
    named = {}
    used = signatures_used(case) if signatures else {}
    for place, signature in signatures.items():
        if signature.case_id != case.pk:
            raise InvalidInput(fields={place: [_("这个签名不是本案件采集的")]})
        client_uuid = str(signature.client_uuid)
        if client_uuid in used or client_uuid in named.values():
            raise Conflict(_("这个签名已用于%(number)s，一个签名只能用于一份文书，请重新签名") % {
                "number": used.get(client_uuid) or _("本文书的另一处")})
        named[place] = client_uuid
    return named


def issue_document(*, case, kind, content, actor, deadline=None, period_days=None, images=None, signatures=None,
                   now=None):
    """Number a document, freeze its content, render its PDF once, store it; return the Document.

    Run it inside the caller's ``transaction.atomic()`` with the case row locked: the number is taken from the
    gap-free sequence (patrol.sequences), whose row stays locked until the caller's transaction ends, so the
    caller's rollback gives the number back. ``document.sha256`` is the SHA-256 of the stored PDF, for the
    caller's CaseEvent payload. ``deadline`` is a fixed date; ``period_days`` a period counted from effective
    service instead (the document then says "自收到本…之日起N日内"). ``images``: name → Photo of the case to
    show in the document (a signature photo); the content names each by its SHA-256. ``signatures``: signing
    place → Signature of the case taken on the phone (documents.signatures): a drawn one is shown like an image,
    a refusal only named; ``content["signatures"]`` names each by its client_uuid, and no signature is placed in
    two documents.
    """
    if kind not in K.values:
        raise InvalidInput(fields={"kind": [_("没有这种文书")]})
    if actor.jurisdiction_id != case.jurisdiction_id:
        raise NotFound()
    if period_days is not None and int(period_days) < 1:
        raise InvalidInput(fields={"period_days": [_("期限天数须为正整数")]})
    now = now or timezone.now()
    issued_on = timezone.localdate(now)
    jurisdiction = case.jurisdiction
    with transaction.atomic():
        seq = take_next_number(jurisdiction=jurisdiction, scope=SEQUENCE_SCOPE[kind], year=issued_on.year)
        number = document_number(jurisdiction, kind, issued_on.year, seq)
        signatures = {place: s for place, s in (signatures or {}).items() if s is not None}
        placed = _named_signatures(case, signatures)
        images = {**(images or {}), **{place: s for place, s in signatures.items() if not s.refused}}
        named = {name: photo.sha256 for name, photo in images.items() if photo is not None}
        frozen = build_content(case=case, kind=kind, content={**_history(case, kind), **(content or {}),
                                                              **({"images": named} if named else {}),
                                                              **({"signatures": placed} if placed else {})},
                               actor=actor, issued_on=issued_on, deadline=deadline, period_days=period_days)
        # A photo placed in a document is a photographed signature: its band goes under it (documents.images).
        copies = {name: print_copy(photo, band_below=True) for name, photo in images.items() if photo is not None}
        pdf = render_pdf(kind=kind, number=number, issued_on=issued_on, content=frozen,
                         images={name: uri for name, uri in copies.items() if uri})
        document = Document(case=case, kind=kind, year=issued_on.year, seq=seq, number=number, issued_on=issued_on,
                            issued_at=now, content=frozen, sha256=hashlib.sha256(pdf).hexdigest(), deadline=deadline,
                            period_days=period_days, issued_by=actor)
        # The file is written before the row: one INSERT with everything, as the database wants (never an UPDATE).
        # A rollback after this leaves an unreferenced file in storage, never a row without its file.
        document.pdf.save("document.pdf", ContentFile(pdf), save=False)
        document.save(force_insert=True)
    return document


# --- service (送达) ------------------------------------------------------------------------------------------

# Who records a service (and a posted document's receipt date): the API, the case page's form and the services ask
# this one set.
SERVICE_ROLES = frozenset({Role.SUPERVISOR})


def may_record_service(user):
    return user.role in SERVICE_ROLES


def _photo(case, photo_id, field):
    if photo_id in (None, ""):
        return None
    photo = Photo.objects.filter(case=case, pk=getattr(photo_id, "pk", photo_id)).first()
    if photo is None:
        raise InvalidInput(fields={field: [_("照片不属于本案件")]})
    return photo


def _required(values, *names):
    missing = {name: [_("此项为必填项")] for name in names if values.get(name) in (None, "", False)}
    if missing:
        raise InvalidInput(fields=missing)


def _check_fields(method, values, *, served_on, today, document, signed):
    """What each method's 送达回证 must show (``signed``: the recipient signed on the phone), beyond what patrol.periods.effective_on checks for the date of effect
    (a witness or a photo when left at the premises, the party's consent for electronic service)."""
    if served_on is None:
        raise InvalidInput(fields={"served_on": [_("此项为必填项")]})
    if served_on > today:
        raise InvalidInput(fields={"served_on": [_("送达日期不能晚于今天")]})
    if served_on < document.issued_on:
        raise InvalidInput(fields={"served_on": [_("送达日期不能早于文书签发日期 %(date)s") % {
            "date": document.issued_on.isoformat()}]})
    if method == M.IN_PERSON:
        # 民事诉讼法 第88条: the party, or an adult family member living with them, signs the receipt.
        missing = {name: [_("此项为必填项")] for name in ("recipient_name", "recipient_relation") if not values[name]}
        if not signed and values["signature_photo"] is None:
            missing["recipient_signature"] = [_("须有受送达人在手机上的签名，或签收照片")]
        if missing:
            raise InvalidInput(fields=missing)
        if values["recipient_relation"] not in RecipientRelation.values:
            raise InvalidInput(fields={"recipient_relation": [_("请选择签收人与当事人的关系")]})
    elif method == M.POST:
        _required(values, "tracking_number")
        receipt = values.get("receipt_date")
        if receipt is not None and not served_on <= receipt <= today:
            raise InvalidInput(fields={"receipt_date": [_("回执日期须在寄出日期与今天之间")]})
    elif method == M.ELECTRONIC:
        _required(values, "channel", "address")
        if values["channel"] not in ElectronicChannel.values:
            raise InvalidInput(fields={"channel": [_("请选择电子送达渠道")]})
    elif method == M.PUBLIC_NOTICE:
        # 民事诉讼法 第95条: only when the party cannot be found or the other methods failed.
        _required(values, "publication_place", "failure_reason")


def _effective_on(method, values, served_on):
    """The date of effect, by patrol.periods' rule (which refuses electronic service without consent, 409)."""
    return periods.effective_on(method, periods.ServiceFacts(
        signed_on=served_on if method == M.IN_PERSON else None,
        left_on=served_on if method == M.LEFT_AT_PREMISES else None,
        witness=values["witness_name"], recorded_on_media=values["evidence_photo"] is not None,
        receipt_on=values["receipt_date"],
        arrived_on=served_on if method == M.ELECTRONIC else None,
        consent_on_file=values["consent_photo"] is not None,
        published_on=served_on if method == M.PUBLIC_NOTICE else None,
    ))


def _service_content(service, document, officers, signature=None):
    signature_sha256 = signature.sha256 if signature else (
        service.signature_photo.sha256 if service.signature_photo else "")
    with translation.override("zh-hans"):
        return {
            "served_document": {"title": document.content.get("title") or str(document.get_kind_display()),
                                "number": document.number, "kind": document.kind},
            "service": {
                "method": service.method, "method_display": str(service.get_method_display()),
                "served_on": service.served_on.isoformat(), "place": service.place,
                "recipient_name": service.recipient_name, "recipient_relation": service.recipient_relation,
                "recipient_relation_display": str(service.get_recipient_relation_display()),
                "signature_sha256": signature_sha256,
                "refused": service.refused, "witness_name": service.witness_name,
                "evidence_sha256": service.evidence_photo.sha256 if service.evidence_photo else "",
                "tracking_number": service.tracking_number,
                "receipt_date": service.receipt_date.isoformat() if service.receipt_date else None,
                "consent_sha256": service.consent_photo.sha256 if service.consent_photo else "",
                "channel": service.channel, "channel_display": str(service.get_channel_display()),
                "address": service.address, "publication_place": service.publication_place,
                "failure_reason": service.failure_reason, "public_notice_days": periods.PERIODS["public_notice_service"].length,
                "effective_on": service.effective_on.isoformat() if service.effective_on else None,
                "note": service.note,
            },
            "officers": [officer_entry(officer) for officer in officers],
        }


def _locked_case_of(document_id, actor):
    document = (Document.objects.for_jurisdiction(actor.jurisdiction_id).select_related("case")
                .filter(pk=document_id).first() if actor.jurisdiction_id else None)
    if document is None:
        raise NotFound()
    case = Case.objects.select_for_update().select_related("jurisdiction").get(pk=document.case_id)
    return document, case


def _start_deadline(case, document):
    """The case's deadline once the document that sets it is effectively served: its period runs from the first
    effective service (行政强制法 第69条: up to ten days in working days). Only the latest such document of a case
    waiting on a deadline counts; returns the fields changed."""
    if document.kind not in DEADLINE_KINDS or document.period_days is None or case.status not in DEADLINE_STATUSES:
        return []
    latest = case.documents.filter(kind__in=DEADLINE_KINDS).order_by("-issued_at", "-pk").values_list(
        "pk", flat=True).first()
    effective = [d for d in document.services.values_list("effective_on", flat=True) if d is not None]
    if latest != document.pk or not effective:
        return []
    case.deadline = periods.deadline_from_days(min(effective), document.period_days)
    return ["deadline"]


def _record(case, *, actor, action, note="", payload, now, fields=()):
    # Every change of a case bumps its version once and writes one event (ledger.verify_case_chain relies on it).
    case.version += 1
    case.updated_at = now
    case.save(update_fields=["version", "updated_at", *fields])
    return ledger.record_event(case=case, actor=actor, action=action, from_status=case.status,
                               to_status=case.status, note=note, payload=payload, at=now)


def record_service(*, document_id, actor, method, served_on, place="", recipient_name="", recipient_relation="",
                   signature_photo=None, recipient_signature=None, officer_signatures=(), refused=False,
                   witness_name="", evidence_photo=None, tracking_number="", receipt_date=None, consent_photo=None,
                   channel="", address="", publication_place="", failure_reason="", note="", client_uuid=None,
                   now=None):
    """送达: record how a document reached the party, compute when that takes effect, render its 送达回证.

    Per method (DOMAIN.md "Service"): in person — recipient, relation, the recipient's signature drawn on the phone
    (``recipient_signature``, a Signature's client_uuid) or a photo of it; left at the premises — a witness or a
    photo/video (a recipient's refusal taken on the phone names its witness); post — tracking number (the receipt date may follow: ``record_postal_receipt``);
    electronic — only with the party's consent on file (else RuleViolation), channel and address; public
    notice — where it was published and why the other methods failed. ``officer_signatures``: the serving
    officers' signatures drawn on the phone; each officer is printed as 送达人 with the one who records it.

    ``client_uuid``, made by the client, goes into the event: the same service sent again (a double tap, an answer
    lost) returns the service recorded the first time, with ``replayed`` set, and records nothing.
    """
    _ensure_may_record_service(actor)
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        document, case = _locked_case_of(document_id, actor)
        if (earlier := _earlier_service(case, document, client_uuid)) is not None:
            return earlier
        if document.kind not in SERVED_KINDS:
            raise RuleViolation(_("“%(kind)s”不是向当事人送达的文书") % {"kind": document.get_kind_display()})
        signature = signature_of(case, recipient_signature, roles=SERVICE_SIGNER_ROLES, field="recipient_signature")
        if signature is not None:
            if signature.refused and method != M.LEFT_AT_PREMISES:
                # 民事诉讼法 第89条: a refusal to sign makes it 留置送达, before a witness.
                raise InvalidInput(fields={"recipient_signature": [_("受送达人拒绝签收的，应按留置送达登记")]})
            recipient_name = recipient_name or signature.signer_name
            refused, witness_name = refused or signature.refused, witness_name or signature.witness_name
        officers, places = _serving_officers(case, actor, officer_signatures)
        if signature is not None:
            places["signature"] = signature
        values = {
            "recipient_name": recipient_name, "recipient_relation": recipient_relation,
            "signature_photo": _photo(case, signature_photo, "signature_photo"), "witness_name": witness_name,
            "evidence_photo": _photo(case, evidence_photo, "evidence_photo"), "tracking_number": tracking_number,
            "receipt_date": receipt_date if method == M.POST else None,
            "consent_photo": _photo(case, consent_photo, "consent_photo"), "channel": channel, "address": address,
            "publication_place": publication_place, "failure_reason": failure_reason,
        }
        if method not in M.values:
            raise InvalidInput(fields={"method": [_("请选择送达方式")]})
        # The rule of effect first: electronic service without consent is refused as such (409), whatever else is missing.
        effective_on = _effective_on(method, values, served_on) if served_on is not None else None
        _check_fields(method, values, served_on=served_on, today=today, document=document,
                      signed=signature is not None and not signature.refused)
        service = ServiceRecord(
            document=document, method=method, served_on=served_on, place=place,
            refused=bool(refused) or method == M.LEFT_AT_PREMISES, note=note, served_by=actor, recorded_at=now,
            effective_on=effective_on,
            **values)
        receipt = issue_document(case=case, kind=K.SERVICE_RECEIPT, actor=actor, now=now,
                                 content=_service_content(service, document, officers, signature),
                                 images={"signature": values["signature_photo"]}, signatures=places)
        service.receipt = receipt
        service.save(force_insert=True)
        service.replayed = False
        started = _start_deadline(case, document)
        _record(case, actor=actor, action="record_service", note=note, now=now, fields=started, payload={
            "document": document.number, "document_sha256": document.sha256, "method": method,
            "served_on": served_on.isoformat(),
            "effective_on": service.effective_on.isoformat() if service.effective_on else None,
            "receipt": receipt.number, "receipt_sha256": receipt.sha256,
            "deadline": case.deadline.isoformat() if started else None,
            "photos": [p.sha256 for p in (values["signature_photo"], values["evidence_photo"],
                                          values["consent_photo"]) if p is not None],
            **({"signatures": {place: {"client_uuid": str(s.client_uuid), "sha256": s.sha256}
                               for place, s in places.items()}} if places else {}),
            **({"client_uuid": str(client_uuid)} if client_uuid else {}),
        })
    return service


def _ensure_may_record_service(actor):
    if not may_record_service(actor):
        raise NotAllowed(_("只有中队长可以登记送达"))


def _earlier_service(case, document, client_uuid):
    """The service recorded before for ``client_uuid`` on ``case`` (its event names it), read with the case row
    locked: of two sends at once, the second waits for the first and finds it."""
    event = workflow.earlier_submission(case, "record_service", client_uuid) if client_uuid else None
    if event is None:
        return None
    if event.payload.get("document") != document.number:
        raise Conflict(_("该编号（client_uuid）已用于另一条内容不同的记录"))
    service = ServiceRecord.objects.select_related("receipt").get(receipt__number=event.payload["receipt"])
    service.replayed = True
    return service


# What record_signature names a field, as the service form calls it.
_SIGNATURE_FIELDS = {"signer_name": "recipient_name", "file": "recipient_signature", "sha256": "recipient_signature",
                     "role": "recipient_signature", "officer": "recipient_signature"}


def record_service_with_evidence(*, document_id, actor, client_uuid, drawn_signature=None, refused=False,
                                 photos=None, now=None, **service):
    """A service recorded from the case page's form, with what the form itself carries: the recipient's signature
    drawn in it (``drawn_signature``: ``{"png", "sha256"}``) or the recipient's refusal to sign before the witness
    (``refused`` with ``service["witness_name"]``; 民事诉讼法 第89条 makes that 留置送达, which record_service
    checks), and photo files (``photos``: ``{"evidence_photo": upload, "consent_photo": upload}``).

    The signature (kept as evidence, documents.signatures), the photos and the service are recorded together or not
    at all: a form refused for any field leaves nothing behind. ``client_uuid`` is the form's: sent twice, the second
    returns the first's service and stores nothing.
    """
    _ensure_may_record_service(actor)
    now = now or timezone.now()
    with transaction.atomic():
        document, case = _locked_case_of(document_id, actor)
        if (earlier := _earlier_service(case, document, client_uuid)) is not None:
            return earlier
        if drawn_signature is not None or refused:
            service["recipient_signature"] = _recipient_signature(
                case, actor, signer_name=service.get("recipient_name", ""), drawn_signature=drawn_signature,
                refused=refused, witness_name=service.get("witness_name", ""), now=now).client_uuid
        for field, upload in (photos or {}).items():
            try:
                photo = store_uploaded_photo(case=case, actor=actor, upload=upload, stage=PhotoStage.NOTICE)
            except InvalidInput as error:
                # The form has two photos: what is wrong with one is said beside it, not as the photos' "file".
                raise InvalidInput(error.message, fields={field if name == "file" else name: messages
                                                          for name, messages in error.fields.items()}) from None
            service[field] = photo.pk
        return record_service(document_id=document.pk, actor=actor, client_uuid=client_uuid, now=now, **service)


def _recipient_signature(case, actor, *, signer_name, drawn_signature, refused, witness_name, now):
    drawn = drawn_signature if not refused else None
    try:
        signature, _created = record_signature(
            case_id=case.pk, actor=actor, client_uuid=uuid.uuid4(), role=Signature.Role.RECIPIENT,
            signer_name=signer_name, drawn_at=now, png=drawn["png"] if drawn else None,
            sha256=drawn["sha256"] if drawn else "", refused=refused, witness_name=witness_name, now=now)
    except InvalidInput as error:
        fields = {}
        for name, messages in error.fields.items():
            fields.setdefault(_SIGNATURE_FIELDS.get(name, name), []).extend(messages)
        raise InvalidInput(error.message, fields=fields) from None
    return signature


def _serving_officers(case, actor, client_uuids):
    """The 送达人 a receipt prints: the officer who records the service, then each officer who signed it on the
    phone; and the signing places of those signatures."""
    officers = [actor]
    for client_uuid in client_uuids or ():
        signature = signature_of(case, client_uuid, roles=(Signature.Role.OFFICER,), field="officer_signatures")
        if signature.officer is not None and signature.officer not in officers:
            officers.append(signature.officer)
    return officers, officer_signatures(case, client_uuids, officers)


def record_postal_receipt(*, service_id, actor, receipt_date, now=None):
    """The return receipt of a posted document came back: its date is the day service took effect (民事诉讼法
    第91条). Recorded once; the database refuses to change it afterwards."""
    _ensure_may_record_service(actor)
    now = now or timezone.now()
    with transaction.atomic():
        service = (ServiceRecord.objects.for_jurisdiction(actor.jurisdiction_id).select_related("document")
                   .filter(pk=service_id).first() if actor.jurisdiction_id else None)
        if service is None:
            raise NotFound()
        _document, case = _locked_case_of(service.document_id, actor)
        service = ServiceRecord.objects.select_for_update().select_related("document").get(pk=service.pk)
        if service.method != M.POST:
            raise RuleViolation(_("只有邮寄送达需要登记回执"))
        if service.receipt_date is not None:
            raise RuleViolation(_("回执日期已登记，不能更改"))
        if receipt_date is None or not service.served_on <= receipt_date <= timezone.localdate(now):
            raise InvalidInput(fields={"receipt_date": [_("回执日期须在寄出日期与今天之间")]})
        service.receipt_date = receipt_date
        service.effective_on = periods.effective_on(M.POST, periods.ServiceFacts(receipt_on=receipt_date))
        service.save(update_fields=["receipt_date", "effective_on"])
        started = _start_deadline(case, service.document)
        _record(case, actor=actor, action="record_postal_receipt", now=now, fields=started, payload={
            "document": service.document.number, "tracking_number": service.tracking_number,
            "receipt_date": receipt_date.isoformat(), "effective_on": service.effective_on.isoformat(),
            "deadline": case.deadline.isoformat() if started else None})
    return service
