"""Browser tests: gunicorn serves the app against the test database, Debian's chromium drives it.

Every test that uses `app_url` runs with `transactional_db` (gunicorn is another process and
sees only committed rows). Every browser context records the requests its pages make; a
request to any host but the test server fails the test at teardown.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .server import LiveServer, gunicorn_server

# Assertions wait as long as actions do: on a loaded 2-core machine a page save can take over 5 s.
expect.set_options(timeout=15_000)

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body (fixtures, checking stored answers) are plain synchronous code and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def live_server_process(django_db_setup, tmp_path_factory) -> Iterator[LiveServer]:
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with gunicorn_server(log) as server:
        yield server


@pytest.fixture
def app_url(transactional_db, live_server_process) -> Iterator[str]:
    """Base URL of the running app; the Redis cache (rate limits) starts empty for every test."""
    from django.core.cache import cache

    cache.clear()
    yield live_server_process.url
    if live_server_process.process.poll() is not None:
        pytest.fail("gunicorn died during the test:\n" + live_server_process.log_tail())


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser, app_url) -> Iterator[Callable]:
    """new_context(**playwright_context_options) → BrowserContext that records every request."""
    contexts = []
    foreign: list[str] = []
    allowed = urlsplit(app_url).netloc

    def record(request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc != allowed:
            foreign.append(request.url)

    def make(**options):
        options.setdefault("locale", "de-DE")
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        context.on("request", record)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert not foreign, f"pages requested other hosts than {allowed}: {foreign}"


@pytest.fixture
def page(new_context):
    return new_context().new_page()


def check_accessibility(page, label: str) -> None:
    """axe-core (WCAG 2.1 A/AA) on the current page: fail with a readable list of violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    )
    violations = results.response["violations"]
    if violations:
        lines = [f"axe-core: {len(violations)} violation(s) on {label} ({page.url}):"]
        for violation in violations:
            lines.append(f"- {violation['id']} [{violation['impact']}]: {violation['help']} ({violation['helpUrl']})")
            for node in violation["nodes"][:10]:
                lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:200]}")
                if node.get("failureSummary"):
                    lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
        pytest.fail("\n".join(lines), pytrace=False)


def screenshot(page, name: str) -> None:
    """Full-page screenshot into $E2E_SCREENSHOTS (when set) for a human look at the layout."""
    directory = os.getenv("E2E_SCREENSHOTS")
    if directory:
        os.makedirs(directory, exist_ok=True)
        page.screenshot(path=os.path.join(directory, f"{name}.png"), full_page=True)


@pytest.fixture
def survey(kgst_survey):
    return kgst_survey


@pytest.fixture
def invitation(transactional_db, survey, make_invitation):
    return make_invitation(survey, name="Stadt Musterhausen", typ="Stadt", einwohner=48_000)
