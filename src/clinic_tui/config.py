"""Settings: defaults, overlaid by the TOML file, then the environment, then flags.

Every field is documented here because this file is what an IT person reads to
configure a clinic's workstation.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from clinic_tui.errors import ConfigError
from clinic_tui.i18n import installed_languages, tr
from clinic_tui.locations import default_config_file, resolve_data_dir


@dataclass(frozen=True)
class Settings:
    """Everything a run of clinic-tui needs to know about its workstation."""

    data_dir: Path
    """Folder holding the SQLite cache (`--data-dir`, CLINIC_TUI_DATA_DIR, [cache] data_dir)."""

    clinic_id: str | None = None
    """FHIR Organization id of this workstation's clinic; None = the cache's own clinic."""

    practitioner_id: str | None = None
    """FHIR Practitioner id of the signed-in clinician, recorded on local changes."""

    language: str = "en"
    """Label language: "en" or "zh" (CLINIC_TUI_LANG, [ui] language)."""

    server_url: str | None = None
    """Base URL of the hospital's FHIR R4 API (`--server`, CLINIC_TUI_SERVER, [sync] server)."""

    ca_bundle: Path | None = None
    """PEM file of a private CA that signed the server's certificate ([sync] ca_bundle)."""

    allow_insecure_http: bool = False
    """Allow plain http:// to a server that is not this machine ([sync] allow_insecure_http)."""

    sync_interval_seconds: float = 120.0
    """Seconds between background syncs in the TUI ([sync] interval_seconds; at least 10)."""

    sync_encounter_days: int = 365
    """Days back a clinic's sync downloads encounters ([sync] encounter_days; at least 1).

    Only with a clinic (clinic_id or the cache's own): its patients, their records and
    referrals come whole, encounters only this recent; without a clinic, everything."""

    low_bandwidth: bool = False
    """For a thin link ([ui] low_bandwidth, `--low-bandwidth`): no animations, no blinking
    cursor, no periodic redraw of what has not changed; fewer bytes per keystroke."""
    idle_lock_minutes: float = 10.0
    """Minutes without a key or click before the workstation locks ([security]
    idle_lock_minutes; 0 = never). Only where clinicians are registered with `clinic-tui
    users add`: the lock screen then hides all patient data until one of them types their PIN.
    """

    require_encrypted_cache: bool = False
    """Refuse to open the workstation on a plain cache ([security] require_encrypted_cache).

    Encryption is opt-in: `clinic-tui encrypt` converts a cache (key in the OS keyring, or
    from a passphrase asked at every start). An IT person who has encrypted a clinic's
    workstations sets this so a cache rebuilt plain by mistake is noticed at once."""
    printer: str | None = None
    """Printer that prescription slips go to through `lp -d` ([printing] printer); None: the
    slip's PDF is written under the data folder (slips/) and not printed."""
    slip_language: str = "zh"
    """Language of the printed 处方笺 ([printing] slip_language: "zh" or "en"; default Chinese
    whatever the screens' language, since the pharmacy and the patient read it)."""
    role: str | None = None
    """"clinic" (today's queue) or "expert" (the hospital's triage inbox): `--role`, [clinic]
    role. None = decided by the clinic: a hospital's workstation (its Organization's type is
    county, city or hospital) opens the triage inbox, any other the queue."""

    urgent_sla_hours: float = 4.0
    """Hours an urgent (or asap, stat) referral may wait undecided before the triage inbox marks
    it over its SLA ([triage] urgent_sla_hours; more than 0)."""

    config_file: Path = field(default_factory=default_config_file)
    """The TOML file these settings were read from (`--config`, CLINIC_TUI_CONFIG)."""


SUPPORTED_LANGUAGES = installed_languages()
"""en, zh, and each further language whose catalogue is installed (docs/translating.md)."""


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"settings file {path} is not valid TOML: {error}") from error
    except OSError as error:
        raise ConfigError(f"cannot read settings file {path}: {error.strerror}") from error


def configured_language(config_flag: str | None) -> str | None:
    """[ui] language of the settings file (--config, CLINIC_TUI_CONFIG or the default), read
    leniently: the output language is chosen before the settings are loaded (and checked)."""
    path = Path(config_flag or os.environ.get("CLINIC_TUI_CONFIG") or default_config_file())
    try:
        with path.expanduser().open("rb") as handle:
            language = tomllib.load(handle).get("ui", {}).get("language")
    except (OSError, tomllib.TOMLDecodeError, AttributeError):
        return None
    return language if isinstance(language, str) else None


def _language_from_env() -> str | None:
    explicit = os.environ.get("CLINIC_TUI_LANG")
    if explicit:
        return explicit
    return None


def _data_dir_source(flag: str | None, config_file: Path) -> str:
    if flag:
        return "--data-dir"
    if os.environ.get("CLINIC_TUI_DATA_DIR"):
        return "CLINIC_TUI_DATA_DIR"
    return tr("[cache] data_dir in {path}").format(path=config_file)


MIN_SYNC_INTERVAL = 10.0


def _sync_interval(value: Any) -> float:
    """[sync] interval_seconds checked: a number of seconds, never below MIN_SYNC_INTERVAL."""
    if value is None:
        return Settings.sync_interval_seconds
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"[sync] interval_seconds must be a number of seconds, not {value!r}")
    return max(MIN_SYNC_INTERVAL, float(value))


def _encounter_days(value: Any) -> int:
    """[sync] encounter_days checked: a whole number of days, at least 1."""
    if value is None:
        return Settings.sync_encounter_days
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            tr("[sync] encounter_days must be a whole number of days >= 1, not {value!r}").format(
                value=value
            )
        )
    return value


def _low_bandwidth(value: Any) -> bool:
    """[ui] low_bandwidth checked: true or false."""
    if value is None:
        return Settings.low_bandwidth
    if not isinstance(value, bool):
        raise ConfigError(
            tr("[ui] low_bandwidth must be true or false, not {value!r}").format(value=value)
        )
    return value


def _idle_lock_minutes(value: Any) -> float:
    """[security] idle_lock_minutes checked: a number of minutes, 0 or more (0 = never)."""
    if value is None:
        return Settings.idle_lock_minutes
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(
            tr(
                "[security] idle_lock_minutes must be a number of minutes >= 0, not {value!r}"
            ).format(value=value)
        )
    return float(value)


def _printer(value: Any) -> str | None:
    """[printing] printer checked: a CUPS destination name, or absent / empty for none."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value.startswith("-") or any(c.isspace() for c in value):
        raise ConfigError(
            tr(
                "[printing] printer must be a printer name as lpstat -p lists it, not {value!r}"
            ).format(value=value)
        )
    return value


SLIP_LANGUAGES = ("zh", "en")


def _slip_language(value: Any) -> str:
    """[printing] slip_language checked: "zh" (the default) or "en"."""
    if value is None:
        return "zh"
    if value not in SLIP_LANGUAGES:
        raise ConfigError(f'[printing] slip_language must be "zh" or "en", not {value!r}')
    return str(value)


ROLES = ("clinic", "expert")


def _role(value: Any) -> str | None:
    """[clinic] role checked: "clinic", "expert" or absent."""
    if value is None:
        return None
    if value in ROLES:
        return str(value)
    raise ConfigError(f"[clinic] role must be one of {', '.join(ROLES)}, not {value!r}")


def _sla_hours(value: Any) -> float:
    """[triage] urgent_sla_hours checked: a number of hours above 0."""
    if value is None:
        return Settings.urgent_sla_hours
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"[triage] urgent_sla_hours must be a number of hours > 0, not {value!r}")
    return float(value)


def load_settings(
    *,
    data_dir_flag: str | None = None,
    config_flag: str | None = None,
    language_flag: str | None = None,
    server_flag: str | None = None,
    role_flag: str | None = None,
    config_may_be_new: bool = False,
    low_bandwidth_flag: bool | None = None,
) -> Settings:
    """Build settings from defaults, the TOML file, the environment and flags, in that order.

    A settings file named by `--config` must exist (a typo would otherwise silently mean
    "no settings"), unless `config_may_be_new`: `login` creates the file it is given.
    """
    config_file = Path(
        config_flag or os.environ.get("CLINIC_TUI_CONFIG") or default_config_file()
    ).expanduser()
    if config_flag and not config_may_be_new and not config_file.exists():
        raise ConfigError(
            tr(
                "settings file {path} (given with --config) does not exist; check the name, "
                "or leave --config out to use {default}"
            ).format(path=config_file, default=default_config_file())
        )
    document = _read_toml(config_file)
    cache_section = document.get("cache", {})
    clinic_section = document.get("clinic", {})
    ui_section = document.get("ui", {})
    sync_section = document.get("sync", {})
    security_section = document.get("security", {})
    printing_section = document.get("printing", {})
    triage_section = document.get("triage", {})

    data_dir_setting = data_dir_flag or os.environ.get("CLINIC_TUI_DATA_DIR")
    if not data_dir_setting and isinstance(cache_section.get("data_dir"), str):
        data_dir_setting = cache_section["data_dir"]
    settings = Settings(data_dir=resolve_data_dir(data_dir_setting), config_file=config_file)
    if settings.data_dir.exists() and not settings.data_dir.is_dir():
        raise ConfigError(
            tr("{path} is a file, not a folder: the cache needs a folder ({source})").format(
                path=settings.data_dir, source=_data_dir_source(data_dir_flag, config_file)
            )
        )

    language = language_flag or _language_from_env() or ui_section.get("language") or "en"
    if language not in SUPPORTED_LANGUAGES:
        raise ConfigError(
            f"unsupported language {language!r}; choose one of {', '.join(SUPPORTED_LANGUAGES)}"
        )
    return replace(
        settings,
        clinic_id=os.environ.get("CLINIC_TUI_CLINIC") or clinic_section.get("organization_id"),
        practitioner_id=clinic_section.get("practitioner_id"),
        language=language,
        server_url=server_flag or os.environ.get("CLINIC_TUI_SERVER") or sync_section.get("server"),
        ca_bundle=Path(sync_section["ca_bundle"]).expanduser()
        if isinstance(sync_section.get("ca_bundle"), str)
        else None,
        allow_insecure_http=sync_section.get("allow_insecure_http") is True,
        sync_interval_seconds=_sync_interval(sync_section.get("interval_seconds")),
        sync_encounter_days=_encounter_days(sync_section.get("encounter_days")),
        low_bandwidth=low_bandwidth_flag or _low_bandwidth(ui_section.get("low_bandwidth")),
        idle_lock_minutes=_idle_lock_minutes(security_section.get("idle_lock_minutes")),
        require_encrypted_cache=security_section.get("require_encrypted_cache") is True,
        printer=_printer(printing_section.get("printer")),
        slip_language=_slip_language(printing_section.get("slip_language")),
        role=role_flag or _role(clinic_section.get("role")),
        urgent_sla_hours=_sla_hours(triage_section.get("urgent_sla_hours")),
    )
