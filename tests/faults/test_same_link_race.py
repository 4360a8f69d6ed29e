"""The same personal link open in two browsers, both saving the same page at the same moment
(bench/drills/race.py against the test server): one save wins, the other gets the conflict
message, no 500, the stored answers are exactly one of the two submissions.
"""

import pytest

from harness.race import fields_for, race_rounds

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_saves_from_two_browsers(live_server, kgst_survey, make_invitation):
    from responses.models import Answer

    invitation = make_invitation(kgst_survey)

    def stored() -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for variable, value in Answer.objects.filter(response__invitation=invitation).values_list("variable", "value"):
            result.setdefault(variable, []).append(value)
        return {k: sorted(v) for k, v in result.items()}

    result = race_rounds(live_server.url, invitation.token, stored, rounds=12)
    assert result["problems"] == []
    assert result["outcomes"][("conflict", "saved")] == 12
    versions = invitation.response.__class__.objects.get(invitation=invitation).page_versions
    assert versions["P1"] == 12  # one accepted save per round, none lost, none doubled
    assert stored()["A2_beschaeftigte"][0] in {dict(fields_for(w, 11))["A2_beschaeftigte"] for w in "AB"}
