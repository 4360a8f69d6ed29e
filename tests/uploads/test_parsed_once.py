"""Issue L: an upload is read once; previews and the confirmation use what was read, and look up
only what depends on the database again."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from invitations.models import Member
from invitations.register import views as register_views
from surveys.definition import views as definition_views
from surveys.models import Survey
from tests.staff.test_register_upload import GOOD, UPLOAD_URL

pytestmark = pytest.mark.django_db


@pytest.fixture
def reads(monkeypatch):
    """Counts the real readers' calls (they still run)."""
    counted = {"register": 0, "definition": 0}

    def counting(name, real):
        def wrapper(*args, **kwargs):
            counted[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(register_views, "check_register", counting("register", register_views.check_register))
    monkeypatch.setattr(definition_views, "_read", counting("definition", definition_views._read))
    return counted


def test_register_is_read_once_and_new_rows_are_looked_up_on_every_view(staff_client, reads, empty_cache):
    upload = staff_client.post(UPLOAD_URL, {"file": SimpleUploadedFile("register.csv", GOOD.encode())})
    preview_url = upload["Location"]
    first = staff_client.get(preview_url).content.decode()
    assert '<dd class="col-sm-8" id="count-new">3</dd>' in first
    # Someone else adds Darmstadt meanwhile: the next view says it is an update, without reading the file.
    Member.objects.create(ags="06411000", name="Darmstadt", land="Hessen", typ="Stadt", einwohner=150_000,
                          email="alt@darmstadt.example")
    second = staff_client.get(preview_url).content.decode()
    assert '<dd class="col-sm-8" id="count-new">2</dd>' in second
    assert '<dd class="col-sm-8" id="count-update">1</dd>' in second
    done = staff_client.post(preview_url, follow=True).content.decode()
    assert "2 neu, 1 aktualisiert" in done
    assert reads["register"] == 1
    assert Member.objects.get(ags="06411000").email == "info@darmstadt.example"


def test_definition_is_read_once_errors_included(staff_client, reads, empty_cache):
    broken = b"slug: x\ntitle: X\npages: []\nunknown_key: 1\n"
    preview = staff_client.post(reverse("staff:definition_upload"),
                                {"file": SimpleUploadedFile("kaputt.yaml", broken)})
    url = preview["Location"]
    first, second = (staff_client.get(url).content.decode() for _ in range(2))
    assert "ist hier nicht vorgesehen" in first and first.count("unknown_key") == second.count("unknown_key") > 0
    assert staff_client.post(url).status_code == 400
    assert reads["definition"] == 1 and not Survey.objects.filter(slug="x").exists()


def test_a_definition_kept_from_the_upload_is_stored_on_confirmation(staff_client, reads, empty_cache):
    from tests.conftest import KGST_DEFINITION

    preview = staff_client.post(reverse("staff:definition_upload"),
                                {"file": SimpleUploadedFile("kgst.yaml", Path(KGST_DEFINITION).read_bytes())})
    url = preview["Location"]
    assert staff_client.get(url).status_code == 200
    done = staff_client.post(url, follow=True)
    assert done.status_code == 200
    assert Survey.objects.get(slug="kgst-social-media-2013").pages.count() == 8
    assert reads["definition"] == 1
