"""How the record reads to people: labels for events and payload details."""
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

from patrol.choices import (
    DismissReason,
    NoticeKind,
    PhotoStage,
    ReinspectionResult,
    Stage,
)
from patrol.choices import status_label as _status_label
from patrol.models import Case, User
from patrol.workflow import ACTIONS

EVENT_LABELS = {
    "report": _("登记线索"),
    "add_photo": _("上传照片"),
    "add_video": _("上传执法记录仪视频"),
    "add_signature": _("签名"),
    "synthetic_import": _("合成数据导入"),
    "admin_correct": _("管理员更正"),
    "migrate_procedure": _("迁移至新的法定程序"),
    "record_service": _("送达"),
    "record_postal_receipt": _("登记邮寄回执"),
    # Actions of the procedure before #13: their events stay in the record (append-only) and read as they did.
    "issue_notice": _("下达通知"),
    "escalate": _("拟强制拆除"),
    "lift_suspension": _("恢复执行"),
    **{name: spec.label for name, spec in ACTIONS.items()},
}

_VALUE_LABELS = {
    "result": ReinspectionResult,
    "reason": DismissReason,
    "notice_kind": NoticeKind,
    "stage": (PhotoStage, Stage),  # a photo's stage, or the construction stage of a finding
}

_KEY_LABELS = {
    "result": _("复查结果"),
    "reason": _("理由"),
    "duplicate_of": _("重复于"),
    "notice_number": _("文书编号"),
    "notice_kind": _("文书种类"),
    "deadline": _("整改期限"),
    "old_deadline": _("原期限"),
    "permit_number": _("许可证号"),
    "decision_number": _("决定书编号"),
    "announcement_date": _("公告日期"),
    "inspector": _("责任人"),
    "appeal_filed": _("申请复议或诉讼"),
    "stage": _("阶段"),
    "village": _("行政村"),
    "filename": _("文件名"),
    "sha256": _("SHA-256"),
}


def event_label(action):
    return EVENT_LABELS.get(action, action)


def status_label(value):
    # Old events keep the states before #13 (rectifying, escalated): they are named too.
    return _status_label(value)


def people_in(payloads):
    """The people the payloads name by login (an assignment's inspector), read at once: username → name."""
    usernames = {payload.get(key) for payload in payloads for key in _PERSON_KEYS if payload.get(key)}
    if not usernames:
        return {}
    return {user.username: str(user) for user in
            User.objects.filter(username__in=usernames).only("username", "first_name", "last_name")}


def payload_lines(payload, people=None):
    """Readable (label, value) pairs of the parts of a payload people care about; ``people`` as ``people_in`` gives
    them for a whole record (else each name is read on its own)."""
    lines = []
    for key, label in _KEY_LABELS.items():
        value = payload.get(key)
        if value in (None, "", False, []):
            continue
        for choices in _as_tuple(_VALUE_LABELS.get(key)):
            if value in choices.values:
                value = choices(value).label
                break
        if value is True:
            value = _("是")
        if key in _PERSON_KEYS:
            value = people.get(value, value) if people is not None else _person(value)
        lines.append((label, value))
    for field, change in (payload.get("corrections") or {}).items():
        lines.append((_field_label(field), f"{change.get('from') or '—'} → {change.get('to') or '—'}"))
    return lines


# Payload keys that hold a login name (an assignment's inspector): people read the person's name.
_PERSON_KEYS = {"inspector"}


def _person(username):
    user = User.objects.filter(username=username).only("username", "first_name", "last_name").first()
    return str(user) if user else username


def _field_label(name):
    try:
        return Case._meta.get_field(name).verbose_name
    except FieldDoesNotExist:  # a field renamed since the correction was recorded
        return name


def _as_tuple(choices):
    if choices is None:
        return ()
    return choices if isinstance(choices, tuple) else (choices,)
