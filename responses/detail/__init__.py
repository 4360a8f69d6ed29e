"""A single response in the staff area: /staff/befragungen/<slug>/antworten/<id>/ (answers and history)
and wieder-oeffnen/ (reopening a submitted response)."""
