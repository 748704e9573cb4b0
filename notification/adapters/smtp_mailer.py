"""Email over SMTP with the standard library: a plain and an HTML alternative, the PDFs attached.

One connection per message: ticket emails are a few per order, and a fresh connection cannot carry a
half-failed previous transaction into the next message."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from apextick_platform.settings import RedactedRepr, secret_field
from notification.service_layer.ports import MailRejectedError, OutgoingMail, TransientError

PERMANENT = 500  # SMTP replies 5xx: the server will refuse the same message again


@dataclass(frozen=True, repr=False)
class SmtpConfig(RedactedRepr):
    host: str
    port: int
    sender: str
    user: str = ""
    password: str = secret_field()
    starttls: bool = False
    timeout_seconds: float = 30.0


def build_message(mail: OutgoingMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = mail.content.subject
    message["Message-ID"] = mail.message_id
    message["Date"] = formatdate(localtime=False, usegmt=True)
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.content.plain)
    message.add_alternative(mail.content.html, subtype="html")
    for filename, data in mail.attachments:
        message.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return message


class SmtpMailer:
    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    def send(self, mail: OutgoingMail) -> None:
        config = self._config
        message = build_message(mail, config.sender)
        try:
            with smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds) as server:
                if config.starttls:
                    server.starttls(context=ssl.create_default_context())
                if config.user:
                    server.login(config.user, config.password)
                server.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(code >= PERMANENT for code in codes):
                raise MailRejectedError(f"recipient refused: {exc.recipients}") from exc
            raise TransientError(f"recipient deferred: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= PERMANENT and not isinstance(exc, smtplib.SMTPAuthenticationError):
                raise MailRejectedError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            # 4xx replies and our own bad credentials: the message is fine, the setup or the server is not.
            raise TransientError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(f"mail server: {exc!r}") from exc
