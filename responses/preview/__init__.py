"""Staff preview under /staff/befragungen/<slug>/vorschau/: the respondent's pages with the answers kept
in the staff user's session, never in a Response."""
