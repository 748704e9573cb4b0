"""The local inbox page: newest email first, its links clickable exactly as sent (query strings intact),
and nothing in an email can become markup on the page."""

from __future__ import annotations

from email.message import EmailMessage

from devstack.mail_inbox import inbox_page


def _mail(subject: str, body: str, *, html: bool = False) -> EmailMessage:
    message = EmailMessage()
    message["Subject"], message["To"], message["Date"] = (
        subject,
        "new@example.test",
        "Wed, 2 Dec 2026 20:00:00 +0000",
    )
    message.set_content(body, subtype="html" if html else "plain")
    return message


def test_links_are_clickable_as_sent_and_the_newest_comes_first() -> None:
    link = "http://localhost:8180/realms/apextick/login-actions/action-token?key=a.b-c&client_id=apextick-web"
    page = inbox_page(
        [_mail("Verify email", f"Open {link} to verify."), _mail("Reset password", "Later")]
    ).decode()
    assert f'<a href="{link.replace("&", "&amp;")}">' in page
    assert page.index("Reset password") < page.index("Verify email")


def test_an_email_cannot_inject_markup() -> None:
    page = inbox_page(
        [_mail("<script>x()</script>", 'hi <img src=x onerror="y()"> http://a/"onmouseover="z')]
    ).decode()
    assert "<script>x()" not in page
    assert "<img" not in page
    assert 'href="http://a/"' in page  # the quote ends the link, never the attribute


def test_an_html_only_email_is_shown_as_text_with_its_links() -> None:
    page = inbox_page(
        [_mail("Tickets", '<p>Your <a href="http://x/t">tickets</a>: http://x/t</p>', html=True)]
    ).decode()
    assert '<a href="http://x/t">http://x/t</a>' in page
    assert "<p>Your" not in page
