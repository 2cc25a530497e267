"""Prescribing: formulary, order-line parser, offline safety checks and the slip (no Textual)."""
