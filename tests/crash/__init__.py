"""Crash harness: SIGKILL the sync and the workstation at seeded random moments, then check."""
