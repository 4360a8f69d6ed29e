"""No IP address or user agent is stored anywhere: every column of every table is scanned."""

import pytest
from django.db import connection
from django.test import Client

from tests.responses.helpers import Flow
from tests.responses.test_flow import USER, walk

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.219"
AGENT = "Mozilla/5.0 (Rücklauf-Sonde Xq7Zr) Probe/42"
AGENT_MARK = "Xq7Zr"


def all_text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        )
        return list(cursor.fetchall())


def matches(needle: str) -> list[tuple[str, str]]:
    found = []
    with connection.cursor() as cursor:
        for table, column in all_text_columns():
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s',  # noqa: S608
                [f"%{needle}%"],
            )
            if cursor.fetchone()[0]:
                found.append((table, column))
    return found


def test_no_ip_address_or_user_agent_in_any_column(kgst_survey, make_invitation, staff_user):
    invitation = make_invitation(kgst_survey)
    respondent = Client(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT, HTTP_X_FORWARDED_FOR=ADDRESS)
    flow = Flow(respondent, invitation)
    walk(flow, USER)
    assert flow.submit().status_code == 302
    # Also a wrong token, a wrong access code, an opt-out and a staff session from the same client.
    respondent.get("/s/falscher-token-0123456789/")
    respondent.post("/s/", {"code": "AAAAA-BBBBB"})
    respondent.post(f"/abmelden/{invitation.token}/")
    staff = Client(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT)
    staff.force_login(staff_user)
    assert staff.get("/staff/").status_code == 200
    assert len(all_text_columns()) > 100  # the scan really covers the schema
    assert matches("Mastodon"), "the scan must find the walk's own answers"
    assert matches(ADDRESS) == []
    assert matches(AGENT_MARK) == []
    assert matches("203.0.113") == []
