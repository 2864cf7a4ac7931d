"""The tamper-evident record (执法全过程记录): writing and verifying the hash chain of CaseEvents.

Each event's hash is the SHA-256 of a canonical JSON serialisation of its content, which includes the
hash of the case's previous event. Changing, removing or reordering any event breaks every hash after
it, which ``verify_case_chain`` (and ``manage.py verify_events``) reports.
"""
import hashlib
import json
from datetime import timezone as dt_timezone

from django.utils import timezone
from django.utils.translation import gettext as _

from patrol.models import CaseEvent

GENESIS_HASH = "0" * 64


def _utc_iso(moment):
    return moment.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_content(*, case_reference, seq, actor_id, created_at, location, action, from_status, to_status,
                  note, payload, prev_hash):
    return {
        "case": case_reference,
        "seq": seq,
        # The user id, not the name: renaming a user must not break the record.
        "actor": actor_id,
        "at": _utc_iso(created_at),
        "location": None if location is None else [round(location.x, 7), round(location.y, 7)],
        "action": action,
        "from": from_status,
        "to": to_status,
        "note": note,
        "payload": payload,
        "prev": prev_hash,
    }


def content_hash(content):
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record_event(*, case, actor, action, from_status, to_status, note="", payload=None, location=None, at=None,
                 first=False):
    """Append one event to the case's chain. The caller holds the case row locked.

    ``first``: the case was created in this transaction and has no events yet (saves a query).
    """
    last = None if first else case.events.order_by("-seq").values("seq", "hash").first()
    seq, prev_hash = (last["seq"] + 1, last["hash"]) if last else (1, GENESIS_HASH)
    created_at = at or timezone.now()
    payload = json.loads(json.dumps(payload or {}, ensure_ascii=False, default=str))
    content = event_content(
        case_reference=case.reference, seq=seq, actor_id=actor.pk if actor else None,
        created_at=created_at, location=location, action=action, from_status=from_status,
        to_status=to_status, note=note, payload=payload, prev_hash=prev_hash,
    )
    return CaseEvent.objects.create(
        case=case, seq=seq, actor=actor, created_at=created_at, location=location, action=action,
        from_status=from_status, to_status=to_status, note=note, payload=payload, prev_hash=prev_hash,
        hash=content_hash(content),
    )


def verify_case_chain(case, events=None):
    """Return None when the chain is intact, else a sentence naming the first broken link.

    ``events`` are the case's events in ``seq`` order with their actors (pass them prefetched to check
    many cases without a query per case). Besides the links between events, the chain must end where the
    case is: every change of a case writes one event and bumps ``version`` once, so the last event's
    number is the case's version and its new status is the case's status. Without that check, removing
    the last events (or all of them) would leave a shorter chain that still links up.
    """
    events = events if events is not None else case.events.select_related("actor").order_by("seq")
    expected_prev = GENESIS_HASH
    last = None
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return _("%(case)s：第 %(expected)s 条记录缺失（下一条是第 %(found)s 条）") % {
                "case": case.reference, "expected": expected_seq, "found": event.seq}
        if event.prev_hash != expected_prev:
            return _("%(case)s：第 %(seq)s 条记录（%(action)s）与第 %(previous)s 条不衔接，记录被删除、插入或调换") % {
                "case": case.reference, "seq": event.seq, "action": event.action, "previous": event.seq - 1}
        content = event_content(
            case_reference=case.reference, seq=event.seq, actor_id=event.actor_id,
            created_at=event.created_at, location=event.location, action=event.action,
            from_status=event.from_status, to_status=event.to_status, note=event.note, payload=event.payload,
            prev_hash=event.prev_hash,
        )
        if content_hash(content) != event.hash:
            return _("%(case)s：第 %(seq)s 条记录（%(action)s）已被篡改") % {
                "case": case.reference, "seq": event.seq, "action": event.action}
        expected_prev = event.hash
        last = event
    if last is None:
        return _("%(case)s：没有任何记录") % {"case": case.reference}
    if last.seq != case.version or last.to_status != case.status:
        return _("%(case)s：记录止于第 %(seq)s 条（%(action)s，状态 %(to)s），与案件（版本 %(version)s，状态 %(status)s）"
                 "不符，其后的记录缺失或案件被改动") % {
            "case": case.reference, "seq": last.seq, "action": last.action, "to": last.to_status,
            "version": case.version, "status": case.status}
    return None
