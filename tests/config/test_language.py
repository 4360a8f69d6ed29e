import pytest


@pytest.mark.django_db
def test_german_even_for_an_english_browser(client):
    response = client.get("/s/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response["Content-Language"] == "de"
    assert 'lang="de"' in response.content.decode()


@pytest.mark.django_db
def test_english_after_choosing_it(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/s/"})
    assert response.status_code == 302
    page = client.get("/s/")
    assert page["Content-Language"] == "en"
    assert 'lang="en"' in page.content.decode()


@pytest.mark.django_db
def test_unknown_language_cookie_falls_back_to_german(client):
    client.cookies["django_language"] = "xx"
    assert client.get("/s/")["Content-Language"] == "de"
