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


class BilingualError(ValueError):
    """An action a service refuses, worded by the service in English and Chinese (the words
    come with the refusal: a referral's or a registry's reason is built from its data)."""

    def __init__(self, english: str, chinese: str) -> None:
        self.english = english
        self.chinese = chinese
        super().__init__(f"{english}; {chinese}")

    def message(self) -> str:
        """The message in the language in force."""
        from clinic_tui.i18n import language

        return self.chinese if language() == "zh" else self.english
