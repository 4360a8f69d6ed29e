"""Organisation name and logo per survey: validated upload, re-encoded PNG, served publicly,
shown on respondent pages and in the HTML e-mails."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

pytestmark = pytest.mark.django_db


def _image(fmt: str = "PNG", size=(600, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 88, 202)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _post(client, survey, **data):
    return client.post(reverse("staff:survey_branding", args=[survey.slug]), data)


def test_upload_reencodes_serves_and_shows_the_logo(staff_client, client, survey, make_invitation):
    jpeg = SimpleUploadedFile("logo.jpg", _image("JPEG"), content_type="image/jpeg")
    response = _post(staff_client, survey, organisation_name="Kommunale Gemeinschaftsstelle", logo_upload=jpeg)
    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.organisation_name == "Kommunale Gemeinschaftsstelle"
    assert survey.logo.name.endswith(".png")
    with Image.open(survey.logo.open("rb")) as stored:
        assert stored.format == "PNG" and stored.height == 160  # scaled down for the header

    served = client.get(survey.logo_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert client.get(reverse("surveys:logo", args=[survey.slug, "other.png"])).status_code == 404

    invitation = make_invitation(survey)
    page = client.get(f"/s/{invitation.token}/", follow=True).content.decode()
    assert f'src="{survey.logo_url}"' in page and "Kommunale Gemeinschaftsstelle" in page
    from invitations.mailtext.render import render_mail

    html = render_mail(invitation, "invitation").body_html
    assert survey.logo_absolute_url in html and "Kommunale Gemeinschaftsstelle" in html


@pytest.mark.parametrize(("name", "content", "message"), [
    ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "kein lesbares Bild"),
    ("logo.gif", None, "PNG oder JPEG"),
    ("logo.png", b"\x89PNG\r\n\x1a\nkaputt", "kein lesbares Bild"),
    ("gross.png", b"\x00" * (1024 * 1024 + 1), "größer als 1 MB"),
])
def test_bad_logo_is_refused_and_nothing_changes(staff_client, survey, name, content, message):
    if content is None:
        out = io.BytesIO()
        Image.new("RGB", (10, 10)).save(out, format="GIF")
        content = out.getvalue()
    response = _post(staff_client, survey, organisation_name="Neu", logo_upload=SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert message in response.content.decode()
    survey.refresh_from_db()
    assert survey.organisation_name == "" and not survey.logo


def test_remove_logo(staff_client, survey):
    _post(staff_client, survey, logo_upload=SimpleUploadedFile("l.png", _image()))
    survey.refresh_from_db()
    assert survey.logo
    _post(staff_client, survey, remove_logo="on")
    survey.refresh_from_db()
    assert not survey.logo
