"""Widgets of the clinician workstation."""
