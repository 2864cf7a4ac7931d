"""Domain errors. Services raise these; api/ turns each into one HTTP error shape."""
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "domain_error"
    http_status = 400
    default_message = _("请求无法处理")

    def __init__(self, message=None, *, fields=None, **params):
        self.message = message if message is not None else self.default_message
        self.fields = fields or {}
        self.params = params
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    code = "invalid"
    http_status = 400
    default_message = _("提交的内容有误")


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    default_message = _("未找到，或不在您的辖区内")


class NotAllowed(DomainError):
    code = "forbidden"
    http_status = 403
    default_message = _("您的角色不能执行此操作")


class InvalidTransition(DomainError):
    """The action is not possible in the case's current state."""

    code = "invalid_state"
    http_status = 409


class RuleViolation(DomainError):
    """A rule of the statutory procedure forbids the action now (deadline, waiting period, four eyes...)."""

    code = "rule_violation"
    http_status = 409


class StaleCase(DomainError):
    """Somebody changed the case since the client read it."""

    code = "stale"
    http_status = 412
    default_message = _("案件已被他人修改，请刷新后重试")


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


def dotted_fields(errors, prefix=""):
    """Nested field errors as flat dotted keys, the one form of ``fields`` everywhere: ``service.date`` for the date
    of a notice's service, ``points.3.lat`` for the fourth point's latitude."""
    if isinstance(errors, dict):
        items = errors.items()
    elif isinstance(errors, list) and any(isinstance(item, (dict, list)) for item in errors):
        items = ((index, item) for index, item in enumerate(errors) if item)
    else:
        return {prefix.rstrip("."): [str(message) for message in errors] if isinstance(errors, list) else
                [str(errors)]}
    flat = {}
    for key, value in items:
        flat.update(dotted_fields(value, f"{prefix}{key}."))
    return flat
