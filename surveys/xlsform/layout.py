"""The shape of an XLSForm workbook as Rücklauf reads and writes it: columns, languages, fixed labels."""

GERMAN, ENGLISH = "Deutsch (de)", "English (en)"
SURVEY_COLUMNS = ("type", "name", "label", "hint", "required", "relevant", "constraint", "appearance")
TRANSLATED = {"label", "hint"}
# Extra settings columns: Rücklauf's survey texts that XLSForm has no place for; names as in the definition.
SETTINGS_TEXTS = ("title_en", "intro", "intro_en", "estimated_minutes", "closing_text", "closing_text_en",
                  "privacy_notice", "organisers", "contact_email", "sender_name", "opens", "closes",
                  "invitation_subject", "invitation_body", "reminder_subject", "reminder_body")
OTHER_LABEL, OTHER_LABEL_EN = "Sonstiges", "Other"
OTHER_TEXT_LABEL, OTHER_TEXT_LABEL_EN = "Bitte angeben", "Please specify"
EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
