"""Reads of documents, and the dates that follow from their service."""
from django.db.models import Prefetch

from documents.choices import DocumentKind
from documents.models import Document, ServiceRecord
from patrol.periods import deadline_from_days


def documents_for(user):
    return Document.objects.for_user(user)


def case_documents(case):
    """The case's documents in issue order (receipts of service are listed with their service, not here),
    each with its services and their receipts: three queries however many documents and services there are."""
    services = ServiceRecord.objects.select_related("receipt", "served_by").order_by("recorded_at", "pk")
    return (Document.objects.filter(case=case).exclude(kind=DocumentKind.SERVICE_RECEIPT)
            .select_related("issued_by").prefetch_related(Prefetch("services", queryset=services))
            .order_by("issued_at", "pk"))


def effective_on(document):
    """The day the document took effect on the party: its first effective service, or None while none has.

    Reads ``document.services.all()`` (prefetched by ``case_documents``).
    """
    dates = [service.effective_on for service in document.services.all() if service.effective_on is not None]
    return min(dates) if dates else None


def deadline_on(document, served_on=None):
    """The document's deadline: a fixed date, or its period counted from effective service (行政强制法 第69条:
    ten days or fewer are working days), or None while it has not been effectively served."""
    if document.deadline is not None:
        return document.deadline
    if document.period_days is None:
        return None
    start = served_on if served_on is not None else effective_on(document)
    return deadline_from_days(start, document.period_days) if start is not None else None
