"""Hypothesis strategies for hostile form posts."""

from __future__ import annotations

from hypothesis import strategies as st

HOSTILE = [
    "", " ", "\x00", "1\x00", "\x00" * 3, "\r\n", "\t", "\u00a0", "\u200b", "\ufeff1", "1 ", " 2",
    "' OR '1'='1", "1; DROP TABLE responses_answer;--", "1' UNION SELECT token FROM invitations_invitation--",
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)",
    '=HYPERLINK("http://evil.example","x")', "+1", "-1", "@SUM(1)", "0", "00", "01", "1.0", "1e3", "0x1F",
    "NaN", "Infinity", "-0", "１２３", "٣", "1.000", "1 000", "100.000", "100000", "100001", "-99999999999999999999",
    "99999999999999999999999999999999999999", "9" * 400, "2013-02-30", "2013-06-03", "31.12.2013", "0000-00-00",
    "9999-12-31", "1.1.1", "a@b", "digital@example.org", "x@" + "a" * 300 + ".de", "ä@ö.de",
    "%00", "%s%s%s", "{{ 7*7 }}", "{% debug %}", "../../etc/passwd", "\\x00", "𝕏𝕐", "🙂" * 50,
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "k", "weiter", "zurueck", "speichern", "absenden",
]


def scalar(codes: list[str] | tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    options = [st.sampled_from(HOSTILE), st.text(max_size=40), st.integers().map(str)]
    if codes:
        options.append(st.sampled_from(list(codes)))
    huge = st.one_of(
        st.text(min_size=1, max_size=4).map(lambda s: s * 1500),
        st.sampled_from(["x", "ü", "\x00", "=", "<"]).map(lambda s: s * 12_000),
    )
    return st.one_of(*options, st.sampled_from(HOSTILE), huge)


def value(codes: list[str] | tuple[str, ...] = ()) -> st.SearchStrategy[str | list[str]]:
    one = scalar(codes)
    return st.one_of(one, one, st.lists(one, min_size=0, max_size=5))


def form(names: list[str], codes: list[str] | tuple[str, ...] = (), extra: dict | None = None):
    """A POST dict: mostly the form's own names, some random keys, values possibly lists."""
    keys = st.one_of(st.sampled_from(names), st.sampled_from(names), st.text(max_size=20),
                     st.sampled_from(["_version", "aktion", "csrfmiddlewaretoken", "", "\x00", "id", "pk"]))
    data = st.dictionaries(keys, value(codes), max_size=max(3, len(names) + 3))
    if extra:
        return st.tuples(data, st.fixed_dictionaries(extra)).map(lambda t: {**t[0], **t[1]})
    return data
