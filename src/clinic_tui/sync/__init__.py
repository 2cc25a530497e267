"""Sync with the hospital FHIR R4 server: HTTP client, download, (later) upload and merge."""
