"""Pages of the documents app.

The sign page: a party, a recipient or an officer signs on the phone (documents.signatures) — a canvas drawn with a
finger, or the refusal to sign with a witness's name. What is drawn waits in the field outbox (static/js/
signature.js) and reaches POST /api/v1/cases/{id}/signatures/ when the network does.

The service form under each issued document on the case page (documents/_service_form.html, static/js/service.js):
a service (送达) recorded through the same service as POST /api/v1/documents/{id}/services/, with the recipient's
signature drawn in the form; errors are shown beside their fields on the case page, and nothing is stored.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from documents.inputs import PostalReceiptBodySerializer, ServiceFormBody
from documents.models import ServiceRecord, Signature
from documents.selectors import documents_for
from documents.services import may_record_service, record_postal_receipt, record_service_with_evidence
from documents.signatures import SIGNER_ROLES, signatures_for, signatures_used
from patrol import selectors
from patrol.case_page import render_case_page
from patrol.choices import ServiceMethod
from patrol.errors import DomainError, InvalidInput, dotted_fields
from patrol.models import User

# The form's photo files and the service's fields they become.
SERVICE_PHOTO_FILES = {"evidence_file": "evidence_photo", "consent_file": "consent_photo"}


@login_required
def sign_page(request, pk):
    case = get_object_or_404(selectors.cases_for(request.user), pk=pk)
    if request.user.role not in SIGNER_ROLES:
        raise PermissionDenied
    officers = User.objects.filter(jurisdiction_id=case.jurisdiction_id, is_active=True,
                                   role__in=SIGNER_ROLES).order_by("username")
    signatures = list(signatures_for(request.user).filter(case=case).order_by("drawn_at", "pk"))
    used = signatures_used(case) if signatures else {}
    for signature in signatures:
        # The document it went into: a signature goes into one only (documents.services.issue_document).
        signature.placed_in = used.get(str(signature.client_uuid), "")
    return render(request, "documents/sign.html", {
        "case": case, "roles": Signature.Role.choices, "officers": officers, "signatures": signatures})


def _case_and_document(request, pk, document_pk):
    # Another jurisdiction's case or document is 404 before the role is asked (as the API answers).
    case = get_object_or_404(selectors.cases_for(request.user), pk=pk)
    document = get_object_or_404(documents_for(request.user).filter(case=case), pk=document_pk)
    if not may_record_service(request.user):
        raise PermissionDenied
    return case, document


def _filled(post):
    """The form's fields that were filled in: an empty one is left out, as the API's client leaves it out (a date
    left empty is then "required", not "not a date")."""
    data = post.copy()
    for key in list(data):
        values = [value for value in data.getlist(key) if value != ""]
        if values:
            data.setlist(key, values)
        else:
            del data[key]
    return data


def _failed(request, pk, document, error):
    errors = {"form": [str(error.message)], **{key: [str(m) for m in texts] for key, texts in error.fields.items()}}
    return render_case_page(request, pk, errors=errors, failed_service=document.pk, status=error.http_status)


def _served(request, pk, document, message):
    messages.success(request, message)
    return redirect(f"{reverse('case', args=[pk])}#document-{document.pk}")


@login_required
@require_POST
def record_service_page(request, pk, document_pk):
    """送达 from the case page: the form's fields, its drawn signature or refusal and its photos, recorded together
    by documents.services.record_service_with_evidence; sent twice (its client_uuid), recorded once."""
    case, document = _case_and_document(request, pk, document_pk)
    body = ServiceFormBody(data=_filled(request.POST))
    try:
        if not body.is_valid():
            raise InvalidInput(fields=dotted_fields(body.errors))
        values = dict(body.validated_data)
        png, sha256, refused = values.pop("signature_png"), values.pop("signature_sha256"), values.pop("refused")
        # The canvas is the in-person recipient's; a refusal to sign replaces it (and makes it 留置送达).
        drawn = {"png": png, "sha256": sha256} if png and values["method"] == ServiceMethod.IN_PERSON else None
        if drawn or refused:
            values["recipient_signature"] = None
        photos = {field: request.FILES[name] for name, field in SERVICE_PHOTO_FILES.items() if name in request.FILES}
        record_service_with_evidence(document_id=document.pk, actor=request.user, drawn_signature=drawn,
                                     refused=refused, photos=photos, **values)
    except DomainError as error:
        return _failed(request, case.pk, document, error)
    return _served(request, case.pk, document, _("已登记送达：%(document)s（%(number)s）") % {
        "document": document.get_kind_display(), "number": document.number})


@login_required
@require_POST
def postal_receipt_page(request, pk, service_pk):
    """A posted document's return receipt is back: its date, once (documents.services.record_postal_receipt)."""
    service = get_object_or_404(ServiceRecord.objects.for_user(request.user).select_related("document"),
                                pk=service_pk, document__case_id=pk)
    case, document = _case_and_document(request, pk, service.document_id)
    body = PostalReceiptBodySerializer(data=_filled(request.POST))
    try:
        if not body.is_valid():
            raise InvalidInput(fields=dotted_fields(body.errors))
        record_postal_receipt(service_id=service.pk, actor=request.user, **body.validated_data)
    except DomainError as error:
        return _failed(request, case.pk, document, error)
    return _served(request, case.pk, document, _("已登记回执日期：%(document)s（%(number)s）") % {
        "document": document.get_kind_display(), "number": document.number})
