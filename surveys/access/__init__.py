"""Who has which role: the staff pages "Zugriff" of a survey (its owners) and of all surveys."""
