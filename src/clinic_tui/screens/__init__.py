"""Screens of the clinician workstation."""
