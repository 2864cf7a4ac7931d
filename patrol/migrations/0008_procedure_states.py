"""The states of #13's statutory procedure replace the old ones.

Existing cases move: rectifying → ordered, escalated → in_review, enforcement_decided → decided (the old
approval stood for the 限期拆除决定; its decision number is kept in the record); filed cases without a legal
basis get 城乡规划法 第65条, the basis the old procedure applied. Old events keep their old status names (the
record is append-only): each moved case gets one new event saying what moved and why, so its chain still
ends where the case is and ``verify_events`` passes.
"""
import hashlib
import json
from datetime import timezone as dt_timezone

from django.db import migrations, models
from django.utils import timezone

MOVES = {"rectifying": "ordered", "escalated": "in_review", "enforcement_decided": "decided"}
BACK = {new: old for old, new in MOVES.items()}


# The hashing of patrol.ledger as it is at this migration, frozen here so that later changes to the ledger
# module cannot change what this migration writes.
def _content_hash(*, case_reference, seq, created_at, action, from_status, to_status, note, payload, prev_hash):
    content = {"case": case_reference, "seq": seq, "actor": None,
               "at": created_at.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "location": None,
               "action": action, "from": from_status, "to": to_status, "note": note, "payload": payload,
               "prev": prev_hash}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def move_cases(apps, schema_editor):
    Case = apps.get_model("patrol", "Case")
    CaseEvent = apps.get_model("patrol", "CaseEvent")
    filed = CaseEvent.objects.filter(action="file").values("case_id")
    to_move = Case.objects.filter(models.Q(status__in=list(MOVES)) | models.Q(legal_basis="", pk__in=filed))
    now = timezone.now()
    for case in to_move.order_by("pk").iterator(chunk_size=500):
        old_status = case.status
        payload = {"from": old_status, "to": MOVES.get(old_status, old_status)}
        if case.legal_basis == "" and CaseEvent.objects.filter(case_id=case.pk, action="file").exists():
            case.legal_basis = "planning_art65"
            payload["legal_basis"] = "planning_art65"
        if old_status == "enforcement_decided":
            approval = CaseEvent.objects.filter(case_id=case.pk, action="legal_approve").order_by("-seq").first()
            if approval is not None and approval.payload.get("decision_number"):
                payload["decision_number"] = approval.payload["decision_number"]
        case.status = payload["to"]
        last = CaseEvent.objects.filter(case_id=case.pk).order_by("-seq").values("seq", "hash").first()
        seq, prev_hash = (last["seq"] + 1, last["hash"]) if last else (1, "0" * 64)
        note = "按新的法定程序迁移案件状态（#13）"
        CaseEvent.objects.create(
            case_id=case.pk, seq=seq, actor=None, created_at=now, location=None, action="migrate_procedure",
            from_status=old_status, to_status=case.status, note=note, payload=payload, prev_hash=prev_hash,
            hash=_content_hash(case_reference=case.reference, seq=seq, created_at=now, action="migrate_procedure",
                               from_status=old_status, to_status=case.status, note=note, payload=payload,
                               prev_hash=prev_hash))
        case.version = seq
        case.updated_at = now
        case.save(update_fields=["status", "legal_basis", "version", "updated_at"])
    if schema_editor.connection.vendor == "postgresql":
        # The inserted events' deferred foreign-key checks run now, so the ALTER TABLE below may follow.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def refuse_to_move_back(apps, schema_editor):
    # The record cannot be rewound (its events are append-only), and the new states have no old name.
    Case = apps.get_model("patrol", "Case")
    if Case.objects.exclude(status__in=["reported", "filed", "closed", "dismissed", *BACK]).exists():
        raise RuntimeError("cases in states of the new procedure have no state before #13")
    for new, old in BACK.items():
        Case.objects.filter(status=new).update(status=old)



class Migration(migrations.Migration):

    dependencies = [
        ('geo', '0002_procedure_settings'),
        ('patrol', '0007_case_legal_basis'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='case',
            name='case_status_valid',
        ),
        migrations.RemoveConstraint(
            model_name='case',
            name='case_rectifying_has_deadline',
        ),
        migrations.AlterField(
            model_name='case',
            name='status',
            field=models.CharField(choices=[('reported', '待立案'), ('filed', '已立案'), ('ordered', '责令整改中'), ('notified', '已事先告知'), ('hearing', '听证中'), ('in_review', '法制审核中'), ('decided', '已作出限期拆除决定'), ('suspended', '复议诉讼中止'), ('reminded', '已催告'), ('enforcement_decided', '已决定强制拆除'), ('announced', '已公告'), ('court_pending', '待法院裁定'), ('court_granted', '法院准予执行'), ('executed', '已强制拆除'), ('closed', '已结案'), ('dismissed', '不予立案')], default='reported', editable=False, max_length=20, verbose_name='状态'),
        ),
        migrations.RunPython(move_cases, refuse_to_move_back),
        migrations.AddConstraint(
            model_name='case',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['reported', 'filed', 'ordered', 'notified', 'hearing', 'in_review', 'decided', 'suspended', 'reminded', 'enforcement_decided', 'announced', 'court_pending', 'court_granted', 'executed', 'closed', 'dismissed'])), name='case_status_valid'),
        ),
    ]
