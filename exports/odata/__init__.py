"""The OData v4 feed per survey under /odata/<slug>/ (issue M)."""
