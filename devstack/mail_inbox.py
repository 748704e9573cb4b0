"""The mail catcher's inbox as a web page, so that a newcomer on the local stack can open Keycloak's
verification or password-reset email and click its link without any mail client: newest first, each
email's text with its links made clickable. Local stack only, like the catcher itself."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from email.message import EmailMessage

LINK = re.compile(r"https?://[^\s<>\"']+")


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None or not isinstance(part, EmailMessage):
        return ""
    text = part.get_content()
    if part.get_content_type() == "text/html":
        text = re.sub(r"<[^>]+>", " ", text)  # only for reading; the links survive as text
    return str(text)


def _linked(text: str) -> str:
    """Escaped text with each URL a link (escaped for the attribute, shown as it is)."""
    pieces, last = [], 0
    for found in LINK.finditer(text):
        pieces.append(html.escape(text[last : found.start()]))
        url = html.unescape(found.group())
        pieces.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>')
        last = found.end()
    pieces.append(html.escape(text[last:]))
    return "".join(pieces)


def inbox_page(messages: Iterable[EmailMessage]) -> bytes:
    items = [
        f"<article><h2>{html.escape(str(m['Subject']))}</h2><p class=meta>to {html.escape(str(m['To']))}"
        f" · {html.escape(str(m['Date']))}</p><pre>{_linked(_text(m))}</pre></article>"
        for m in reversed(list(messages))
    ]
    body = (
        "".join(items)
        or "<p>No email yet. Sign up in the web app and the verification email appears here.</p>"
    )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local inbox</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="refresh" content="5">
<style>body{{font:15px system-ui,sans-serif;max-width:50rem;margin:auto;padding:1rem}}
article{{border:1px solid #ddd;border-radius:8px;padding:.5rem 1rem;margin:1rem 0}}.meta{{color:#666}}
pre{{white-space:pre-wrap;overflow-wrap:anywhere}}</style></head><body><h1>Local inbox</h1>
<p>Every email the local stack sends (verification, password reset, tickets).
JSON: <a href="/messages">/messages</a>.</p>
{body}</body></html>"""
    return page.encode()
