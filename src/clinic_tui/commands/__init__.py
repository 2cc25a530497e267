"""Headless subcommands (login, sync, status, seed-server): no Textual, one-line errors."""
