"""Running one case action from a request body: shared by the API and the case page's forms."""
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from api.serializers import ACTION_ENDPOINTS
from patrol import workflow
from patrol.errors import InvalidTransition, NotAllowed, NotFound


def check_action_allowed(case, user, action):
    """State and role, checked before the body so the answer names the real obstacle (409 / 403)."""
    if action not in ACTION_ENDPOINTS:
        raise NotFound(_("没有这个操作：%(action)s") % {"action": action})
    spec = workflow.ACTIONS[action]
    if case.status not in spec.from_statuses:
        raise InvalidTransition(_("案件当前状态为“%(status)s”，不能%(action)s") % {
            "status": case.get_status_display(), "action": spec.label})
    if user.role not in spec.roles:
        raise NotAllowed(_("%(role)s不能%(action)s") % {"role": user.get_role_display(), "action": spec.label})


def run_action(*, case, user, action, data, expected_version, extra_photos=()):
    """Validate ``data`` with the action's body serializer and call its service.

    Raises rest_framework ValidationError for a malformed body and patrol.errors.DomainError for a rule.
    """
    check_action_allowed(case, user, action)
    body_class, service, adapt = ACTION_ENDPOINTS[action]
    body = body_class(data=data)
    if not body.is_valid():
        raise ValidationError(body.errors)
    arguments = dict(body.validated_data)
    if adapt:
        arguments = adapt(arguments)
    if extra_photos and "photos" in body.fields:
        arguments["photos"] = [*arguments.get("photos", []), *extra_photos]
    return service(case_id=case.pk, actor=user, expected_version=expected_version, **arguments)
