"""The harness itself: gunicorn serves the app, pages make no third-party requests, axe works."""

import pytest

from .conftest import check_accessibility

pytestmark = pytest.mark.browser


def test_not_found_page_is_helpful_and_accessible(app_url, page):
    response = page.goto(app_url + "/s/this-token-does-not-exist-0000000000000/")
    assert response.status == 404
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.get_by_role("heading", level=1).inner_text() == "Diese Seite gibt es nicht"
    check_accessibility(page, "404 page")


def test_foreign_request_is_detected(app_url, browser):
    """The request recorder must see what a page asks for (here: an injected third-party image)."""
    seen = []
    context = browser.new_context()
    context.on("request", lambda request: seen.append(request.url))
    page = context.new_page()
    page.route("http://example.invalid/**", lambda route: route.abort())
    page.goto(app_url + "/s/nothing-here/")
    page.evaluate("() => { const i = document.createElement('img'); i.src = 'http://example.invalid/x.png';"
                  " document.body.appendChild(i); }")
    page.wait_for_timeout(300)
    context.close()
    assert any(url.startswith("http://example.invalid/") for url in seen)


def test_accessibility_check_reports_violations(app_url, page):
    """check_accessibility must fail on a real violation (here: an image without alternative text)."""
    page.goto(app_url + "/s/")
    page.evaluate("() => { const i = document.createElement('img'); i.src = '/static/css/app.css';"
                  " document.querySelector('main').appendChild(i); }")
    with pytest.raises(pytest.fail.Exception, match="image-alt"):
        check_accessibility(page, "start page with an image without alt")
