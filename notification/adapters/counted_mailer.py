"""A mailer that counts what it sends for Prometheus: emails sent, and failed by kind.

The consumer (tickets, refund notices) and the server (resends) both send, each counting in its own
process; summed across processes the counts add up. A transient failure is retried later and may then
count as sent too: `failed` counts attempts, `sent` counts emails the mail server accepted."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from notification.service_layer.ports import Mailer, MailRejectedError, OutgoingMail, TransientError


class CountedMailer:
    def __init__(self, inner: Mailer, registry: CollectorRegistry) -> None:
        self._inner = inner
        self._sent = Counter("apextick_emails_sent", "Emails the mail server accepted", registry=registry)
        self._failed = Counter(
            "apextick_emails_failed",
            "Send attempts that failed: rejected (for good) or transient (retried later)",
            ["kind"],
            registry=registry,
        )

    def send(self, mail: OutgoingMail) -> None:
        try:
            self._inner.send(mail)
        except MailRejectedError:
            self._failed.labels("rejected").inc()
            raise
        except TransientError:
            self._failed.labels("transient").inc()
            raise
        self._sent.inc()
