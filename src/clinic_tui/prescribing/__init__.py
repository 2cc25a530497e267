"""Prescribing: the formulary, the order-line parser, offline safety checks and the slip (no Textual)."""
