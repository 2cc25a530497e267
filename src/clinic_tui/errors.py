"""Errors that reach a person: each carries a one-line message fit for a terminal."""


class ClinicError(Exception):
    """Base for every error the CLI turns into a one-line message and a non-zero exit."""

    exit_code = 1


class CacheError(ClinicError):
    """The local cache cannot be opened or used as it is."""

    exit_code = 3


class ConfigError(ClinicError):
    """The settings file, an environment variable or a flag holds something unusable."""

    exit_code = 2
