"""Sending recorded emails exactly once per key (as far as SMTP allows)."""
import logging
from email.mime.image import MIMEImage
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import SafeMIMEMultipart
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from worker.models import EmailDelivery

logger = logging.getLogger(__name__)


def record_email(*, key, recipient, subject, template, context, language="zh-hans", attachments=()):
    """Record an email to send (idempotent by ``key``). Call inside the transaction that decides it.

    ``attachments`` are ``{"name", "path", "mimetype"}`` with a path relative to MEDIA_ROOT; one that also has a
    ``"cid"`` is an image shown in the HTML body (``<img src="cid:...">``), not a file to open.

    Returns the delivery, or None when this key was recorded before.
    """
    with translation.override(language):
        context = {**context, "site_url": settings.SITE_URL}
        text = render_to_string(f"email/{template}.txt", context)
        html = render_to_string(f"email/{template}.html", context)
        subject = str(subject)
    delivery, created = EmailDelivery.objects.get_or_create(
        key=key, defaults={"recipient": recipient, "subject": subject, "body_text": text, "body_html": html,
                           "attachments": list(attachments)})
    return delivery if created else None


def deliver(delivery_id):
    """Send one recorded email unless it was sent already. Raises on SMTP failure (the task retries)."""
    try:
        with transaction.atomic():
            # The row lock keeps a second worker (a duplicate task) waiting until this one has finished;
            # it then finds the email sent.
            delivery = EmailDelivery.objects.select_for_update().filter(pk=delivery_id).first()
            if delivery is None or delivery.status == EmailDelivery.Status.SENT:
                return False
            _message(delivery).send()
            delivery.status, delivery.sent_at, delivery.last_error = EmailDelivery.Status.SENT, timezone.now(), ""
            delivery.attempts += 1
            delivery.save(update_fields=["status", "sent_at", "attempts", "last_error"])
            return True
    except Exception as exc:
        EmailDelivery.objects.filter(pk=delivery_id).update(
            attempts=F("attempts") + 1, last_error=f"{exc.__class__.__name__}: {exc}"[:2000])
        raise


def mark_failed(delivery_id):
    EmailDelivery.objects.filter(pk=delivery_id).exclude(status=EmailDelivery.Status.SENT).update(
        status=EmailDelivery.Status.FAILED)


class _MessageWithInlineImages(EmailMultiAlternatives):
    """An email whose HTML alternative carries its own images (RFC 2387 multipart/related)::

        multipart/mixed
          multipart/alternative
            text/plain
            multipart/related
              text/html            <img src="cid:...">
              image/png            Content-ID: <...>
          application/...          the attachments proper (the ledger)
    """

    def __init__(self, *args, inline_images=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.inline_images = list(inline_images)  # (cid, filename, bytes, mimetype)

    def _create_alternatives(self, msg):
        msg = super()._create_alternatives(msg)
        if self.inline_images and msg.get_content_type() == "multipart/alternative":
            parts = msg.get_payload()
            for index, part in enumerate(parts):
                if part.get_content_type() == "text/html":
                    parts[index] = self._related(part)
        return msg

    def _related(self, html):
        related = SafeMIMEMultipart(_subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET)
        related.attach(html)
        for cid, filename, data, mimetype in self.inline_images:
            image = MIMEImage(data, _subtype=mimetype.split("/", 1)[1])
            image["Content-ID"] = f"<{cid}>"
            image.add_header("Content-Disposition", "inline", filename=filename)
            related.attach(image)
        return related


def _message(delivery):
    inline, files = [], []
    for item in delivery.attachments:
        data = (Path(settings.MEDIA_ROOT) / item["path"]).read_bytes()
        # Images only travel inline with an HTML body to show them in.
        if item.get("cid") and delivery.body_html:
            inline.append((item["cid"], item["name"], data, item.get("mimetype") or "image/png"))
        else:
            files.append((item["name"], data, item.get("mimetype")))
    message = _MessageWithInlineImages(delivery.subject, delivery.body_text, settings.DEFAULT_FROM_EMAIL,
                                       [delivery.recipient], connection=get_connection(), inline_images=inline)
    if delivery.body_html:
        message.attach_alternative(delivery.body_html, "text/html")
    for name, data, mimetype in files:
        message.attach(name, data, mimetype)
    return message
