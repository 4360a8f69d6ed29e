"""Who may do what: staff sign-in, per-survey roles and the audit trail (issue L).

The lowest app: every other app may import it, it imports none of them (surveys are referred to
by the model label "surveys.Survey" only).
"""
