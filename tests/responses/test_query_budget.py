"""How many statements the respondent's hot path costs, on the real PostgreSQL."""


def _statements(captured) -> list[str]:
    return [q["sql"].split()[0] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def test_query_budget_of_a_page_save(flow):
    """A started respondent's save is six statements and the page it leads to two: nothing deferred
    is loaded behind the hot path's back (each would be one more query per request)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    flow.open()
    flow.post("P1", {"A1_bereich": "2", "A2_beschaeftigte": "10"})
    version = flow.version("P1")
    with CaptureQueriesContext(connection) as post:
        reply = flow.post("P1", {"A1_bereich": "3", "A2_beschaeftigte": "11"}, version=version)
    assert reply.status_code == 302
    with CaptureQueriesContext(connection) as get:
        assert flow.client.get(reply["Location"]).status_code == 200
    assert _statements(post) == ["SELECT", "SELECT", "SELECT", "DELETE", "INSERT", "UPDATE"]  # token, lock, answers
    assert _statements(get) == ["SELECT", "SELECT"]  # token, answers
