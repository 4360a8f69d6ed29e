"""The response rate in the staff area: /staff/befragungen/<slug>/ruecklauf/ (dashboard), mitglieder/
(member list with status, a member's page) and nicht-antwortende.csv; the figures are counted in SQL."""
