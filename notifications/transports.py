"""Notification channels: one ``Transport`` subclass per channel, found by the delivery's ``channel``.

After healthchecks' ``hc/api/transports.py``: a transport turns a recorded ``Delivery`` into a message on its
channel and raises when the channel refuses it (the task retries). Adding a channel (e.g. SMS) = a subclass
here, registered in TRANSPORTS, and a ``record_*`` helper in ``notifications.services`` that builds its payload;
no migration (``Delivery.channel`` holds the name).
"""
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import SafeMIMEMultipart


class Transport:
    channel = None

    def notify(self, delivery):
        """Send ``delivery`` (a notifications.models.Delivery) once; raise on any refusal or network error."""
        raise NotImplementedError


class EmailTransport(Transport):
    """SMTP through Django's email backend. Payload: ``subject``, ``body_text``, ``body_html``, ``attachments``
    (``{"name", "path", "mimetype"}``, names in the default storage; one with a ``"cid"`` is an image shown inline)."""

    channel = "email"

    def notify(self, delivery):
        message(delivery).send()


TRANSPORTS = {transport.channel: transport for transport in (EmailTransport,)}


def transport_for(channel):
    return TRANSPORTS[channel]()


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


def message(delivery):
    """The email of a recorded email delivery, with its files read from the storage now."""
    payload = delivery.payload
    html = payload.get("body_html", "")
    inline, files = [], []
    for item in payload.get("attachments", []):
        # Through the storage API: with S3_ENDPOINT_URL the summaries' charts and ledgers are in the bucket, and
        # MEDIA_ROOT is empty (a worker of docker-compose.yml retried FileNotFoundError until it gave up, #16).
        with default_storage.open(item["path"], "rb") as stored:
            data = stored.read()
        # Images only travel inline with an HTML body to show them in.
        if item.get("cid") and html:
            inline.append((item["cid"], item["name"], data, item.get("mimetype") or "image/png"))
        else:
            files.append((item["name"], data, item.get("mimetype")))
    email = _MessageWithInlineImages(payload.get("subject", ""), payload.get("body_text", ""),
                                     settings.DEFAULT_FROM_EMAIL, [delivery.recipient], connection=get_connection(),
                                     inline_images=inline)
    if html:
        email.attach_alternative(html, "text/html")
    for name, data, mimetype in files:
        email.attach(name, data, mimetype)
    return email
