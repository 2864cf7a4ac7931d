"""A local SMTP sink (aiosmtpd, from requirements-dev.txt): one JSON line per message received.

    python bench/load/smtp_sink.py PORT OUT.jsonl

Each line: time, envelope recipients, subject, the summary id named in the body's link (None for other emails)
and a SHA-256 of the raw message, so that the checker can count messages per recipient per summary.
"""
import email
import email.policy
import hashlib
import json
import re
import signal
import sys
import time

from aiosmtpd.controller import Controller

SUMMARY_LINK = re.compile(r"/summaries/(\d+)/")


class Sink:
    def __init__(self, path):
        self.out = open(path, "a", buffering=1)

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text = ""
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                text += part.get_content()
        match = SUMMARY_LINK.search(text)
        self.out.write(json.dumps({"t": time.time(), "rcpt": envelope.rcpt_tos, "subject": str(message["subject"]),
                                   "summary": int(match.group(1)) if match else None,
                                   "sha256": hashlib.sha256(raw).hexdigest()}, ensure_ascii=False) + "\n")
        return "250 OK"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(path), hostname="127.0.0.1", port=port)
    controller.start()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
