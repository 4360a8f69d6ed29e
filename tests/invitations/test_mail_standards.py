"""What large mail providers ask of bulk mail, checked on what the real SMTP server received.

VERP return path, List-Unsubscribe with RFC 8058 one-click, the stable Message-ID, a DKIM
signature that dkimpy's own verifier accepts (DNS answered by an injected lookup function),
and plain text and HTML parts that say the same.
"""

import base64
import re
import subprocess
from html.parser import HTMLParser

import dkim
import pytest
from django.test import Client

from harness.smtp_sink import Sink
from invitations import credentials
from invitations.mailtext import render
from invitations.models import Invitation, OutboxMessage
from invitations.outbox import mail, queueing

from .conftest import make_members

pytestmark = pytest.mark.django_db
SITE = "https://befragung.example"
Status = OutboxMessage.Status


@pytest.fixture
def sink():
    with Sink() as running:
        yield running


@pytest.fixture
def smtp(settings, sink):
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.SITE_URL = SITE
    settings.MAIL_RATE = 0
    settings.MAIL_RATE_PER_DOMAIN = 0
    settings.BOUNCE_DOMAIN = "bounces.kgst.example"
    settings.VERP_SECRET = "verp-test-secret"
    yield sink
    mail.close_connection()


@pytest.fixture(scope="module")
def dkim_key(tmp_path_factory):
    """A fresh 2048-bit RSA key (PEM) and the DNS TXT record that publishes its public half."""
    folder = tmp_path_factory.mktemp("dkim")
    key = folder / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    public = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"], check=True,
                            capture_output=True).stdout
    return key, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def send_all(survey, django_capture_on_commit_callbacks, count=1):
    make_members(count)
    with django_capture_on_commit_callbacks(execute=True):
        assert queueing.queue_invitations(survey) == count


def test_envelope_and_list_unsubscribe_headers(survey, smtp, django_capture_on_commit_callbacks):
    send_all(survey, django_capture_on_commit_callbacks)
    message = OutboxMessage.objects.select_related("invitation").get()
    assert message.status == Status.SENT
    [received] = smtp.messages
    assert received.mail_from == mail.verp_address(message.pk)
    assert re.fullmatch(rf"bounce\+{message.pk}\.[0-9a-f]{{12}}@bounces\.kgst\.example", received.mail_from)
    assert mail.parse_verp(received.mail_from) == mail.VerpMatch(message.pk, unsubscribe=False)
    headers = received.message()
    assert headers["Message-ID"] == message.message_id
    token = credentials.optout_token(message.invitation.pk)  # issue L: the opt-out links' own token
    unsubscribe = headers["List-Unsubscribe"]
    assert f"<{SITE}/abmelden/{token}/ein-klick/>" in unsubscribe
    assert message.invitation.token not in unsubscribe
    mailto = re.search(r"<mailto:([^?>]+)\?subject=unsubscribe>", unsubscribe).group(1)
    assert mail.parse_verp(mailto) == mail.VerpMatch(message.pk, unsubscribe=True)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_verp_address_with_a_wrong_hmac_or_domain_is_not_matched(settings):
    settings.BOUNCE_DOMAIN = "bounces.kgst.example"
    settings.VERP_SECRET = "verp-test-secret"
    good = mail.verp_address(42)
    assert mail.parse_verp(good.upper()) == mail.VerpMatch(42, False)  # some MTAs change the case
    forged = good.replace("bounce+42.", "bounce+43.")
    assert mail.parse_verp(forged) is None
    assert mail.parse_verp(good.replace("kgst.example", "evil.example")) is None
    assert mail.parse_verp("bounce+42@bounces.kgst.example") is None
    settings.VERP_SECRET = "another-secret"
    assert mail.parse_verp(good) is None


def test_message_id_stays_the_same_on_a_retry(survey, smtp, django_capture_on_commit_callbacks):
    smtp.handler.temp_fail_data["rathaus0@gemeinde0.example"] = 1
    send_all(survey, django_capture_on_commit_callbacks)
    message = OutboxMessage.objects.get()
    assert message.status == Status.QUEUED and smtp.count() == 0  # 451: retried later
    from invitations.outbox.sending import process_message

    OutboxMessage.objects.update(next_attempt_at=None)
    assert process_message(message.pk).status == "sent"
    assert smtp.messages[0].message()["Message-ID"] == message.message_id


def test_dkim_signature_verifies_with_dkimpy(survey, smtp, settings, dkim_key, django_capture_on_commit_callbacks):
    key, record = dkim_key
    settings.DKIM_PRIVATE_KEY_PATH = str(key)
    settings.DKIM_SELECTOR = "rl2026"
    settings.DKIM_DOMAIN = "kgst.example"
    send_all(survey, django_capture_on_commit_callbacks, count=2)
    asked = []

    def dns(name, timeout=5):
        asked.append(name)
        return record if name == b"rl2026._domainkey.kgst.example." else None

    for received in smtp.messages:
        assert received.data.startswith(b"DKIM-Signature:")
        assert dkim.verify(received.data, dnsfunc=dns)
        signed = re.search(rb"h=([^;]+);", received.data.replace(b"\r\n", b"").replace(b" ", b"")).group(1)
        assert {b"list-unsubscribe", b"list-unsubscribe-post", b"from", b"subject"} <= set(signed.lower().split(b":"))
        tampered = received.data.replace(b"Einladung zur Befragung", b"Einladung zur Umfrage", 1)
        assert tampered != received.data and not dkim.verify(tampered, dnsfunc=dns)
    assert asked and set(asked) == {b"rl2026._domainkey.kgst.example."}


def test_without_a_dkim_key_nothing_is_signed(survey, smtp, django_capture_on_commit_callbacks):
    send_all(survey, django_capture_on_commit_callbacks)
    assert b"DKIM-Signature" not in smtp.messages[0].data


class _Visible(HTMLParser):
    """The text a reader sees in the HTML part, and the addresses its links point to."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hrefs: set[str] = set()
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("title", "style", "head"):
            self._skip += 1
        if tag == "a":
            self.hrefs.add(dict(attrs).get("href", ""))
        if tag in ("p", "br", "div", "hr"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("title", "style", "head"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


URL = re.compile(r"(?:https?://|mailto:)\S+|\b[\w.+-]+@[\w.-]+\.\w+\b")


def _words(text: str) -> str:
    return " ".join(URL.sub(" ", text).replace(":", " ").split())


@pytest.mark.parametrize("kind", ["invitation", "reminder", "resend"])
def test_plain_text_and_html_say_the_same(survey, kind, settings):
    settings.SITE_URL = SITE
    make_members(1)
    from invitations.models import Member

    Member.objects.update(ansprechpartner="Frau Muster")
    invitation = Invitation.objects.create(survey=survey, member=Member.objects.get())
    stored = render.render_mail(invitation, kind, 1)
    # what the recipient gets: the stored copy's placeholders for link and code filled in (credentials at rest)
    rendered = render.RenderedMail(stored.subject, invitation.reveal(stored.body_text),
                                 invitation.reveal(stored.body_html))
    parser = _Visible()
    parser.feed(rendered.body_html)
    html_text = _words("".join(parser.parts))
    # Every paragraph of the plain text (without its addresses) is said in the HTML part too …
    for paragraph in re.split(r"\n\s*\n", rendered.body_text):
        words = _words(paragraph.removeprefix("--\n"))  # the signature separator has no HTML twin
        if words:
            assert words in html_text, f"plain text paragraph missing from the HTML part: {words!r}"
    # … and both point to the same addresses (link, access page, opt-out, contact).
    text_urls = {u.rstrip(".,") for u in re.findall(r"https?://\S+", rendered.body_text)}
    html_urls = {h for h in parser.hrefs if h.startswith("http")}
    assert text_urls == html_urls
    assert {h.removeprefix("mailto:") for h in parser.hrefs if h.startswith("mailto:")} == {"befragung@kgst.example"}
    assert invitation.access_code_display in rendered.body_text and invitation.access_code_display in html_text


# --- RFC 8058 one-click ----------------------------------------------------------------

def _invitation(survey) -> Invitation:
    make_members(1)
    from invitations.models import Member

    return Invitation.objects.create(survey=survey, member=Member.objects.get())


def test_one_click_post_opts_out_without_csrf_token(survey, empty_cache):
    invitation = _invitation(survey)
    client = Client(enforce_csrf_checks=True)
    url = f"/abmelden/{invitation.token}/ein-klick/"
    wrong_body = client.post(url, {"List-Unsubscribe": "Yes"})
    assert wrong_body.status_code == 400
    invitation.refresh_from_db()
    assert invitation.opted_out_at is None
    done = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200
    invitation.refresh_from_db()
    assert invitation.opted_out_at is not None
    # The normal page keeps its CSRF protection.
    assert client.post(f"/abmelden/{invitation.token}/").status_code == 403


def test_one_click_get_shows_the_normal_page_and_changes_nothing(survey, empty_cache):
    invitation = _invitation(survey)
    page = Client().get(f"/abmelden/{invitation.token}/ein-klick/", follow=True)
    assert page.status_code == 200 and "Keine Erinnerungen mehr senden" in page.content.decode()
    invitation.refresh_from_db()
    assert invitation.opted_out_at is None


def test_one_click_with_a_wrong_token_is_rate_limited(survey, settings, empty_cache):
    settings.TOKEN_RATELIMIT = "5/10m"
    guesser = Client()
    codes = [guesser.post(f"/abmelden/falsch-aber-lang-genug-{i:04d}/ein-klick/", "List-Unsubscribe=One-Click",
                          content_type="application/x-www-form-urlencoded").status_code for i in range(8)]
    assert codes[:5] == [404] * 5 and set(codes[5:]) == {429}
