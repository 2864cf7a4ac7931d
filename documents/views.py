"""The page where a party, a recipient or an officer signs on the phone (documents.signatures): a canvas drawn with
a finger, or the refusal to sign with a witness's name. What is drawn waits in the field outbox (static/js/
signature.js) and reaches POST /api/v1/cases/{id}/signatures/ when the network does."""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from documents.models import Signature
from documents.signatures import SIGNER_ROLES, signatures_for, signatures_used
from patrol import selectors
from patrol.models import User


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
