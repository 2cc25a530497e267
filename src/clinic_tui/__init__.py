"""clinic-tui: a terminal clinician workstation on an offline FHIR cache."""

__version__ = "0.1.0"
