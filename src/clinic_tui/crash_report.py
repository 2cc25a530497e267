"""Write an unexpected error's details for IT, redacted: no secret and no patient text in the log.

Used by the command line (__main__.py) and by the app when a screen or worker fails. The
report keeps what finds the fault: each exception's type, and the file, line and function
of every frame (with the line of source code). It leaves out what may hold a patient's
name or note: frames' local variables (Textual's own report shows them), and the words
of each message (`str(error)` quotes whatever the failing code formatted into it, a name
or a note as readily as a field name). A message keeps only its code names (birth_date,
medicationCodeableConcept, sqlite3.OperationalError), short numbers (an HTTP status), a
fixed vocabulary of words error messages are made of, and its punctuation; every other
word is written [withheld]. Secrets go first, through `redact`.
"""

from __future__ import annotations

import errno
import os
import re
import traceback
from datetime import datetime

from clinic_tui import __version__
from clinic_tui.private_files import open_private, private_dir
from clinic_tui.redaction import redact

WITHHELD = "[withheld]"

_WORDS = """
    a about after already an and any are argument arguments as at attribute base be been before
    bool bytes dict float int list set str tuple
    between bug but by call called can cannot changed character checking closed codec column
    connection constraint copy could database decode denied did directory division does
    done during empty encode error exceeded exists expected failed failure false file for
    found from given got has have if in index integer into invalid is isn it item items key
    keys chart literal locked long many note opening order patient print printing queue
    screen sign signing slip sync maximum missing more must near no none not null object of
    on one open opened operand or out permission position positional range read reading
    redacted refused request required reset response returned row server should size such
    status string subscriptable support supported syntax table takes than that the there
    this timed timeout to too type types unexpected unique unknown unsupported upload
    download value values was were when while with withheld without would write writing
    wrong zero
    HTTP HTTPS JSON SQL SQLite URL UTF FHIR PDF ID OK GET PUT POST DELETE PATCH Bearer Basic
    Authorization None True False NoneType
    Patient Encounter Appointment Observation Condition AllergyIntolerance MedicationRequest
    ServiceRequest Task Communication CarePlan Composition DocumentReference Practitioner
    PractitionerRole Organization AuditEvent Provenance Bundle OperationOutcome
"""
_VOCABULARY = frozenset(_WORDS.split())
"""Words error messages are made of, and FHIR's resource types: kept in a message."""

_CODE_SHAPES = re.compile(
    r"_*[a-z][a-z0-9]*(?:_+[a-z0-9]+)+_*"  # snake_case, __dunder__
    r"|__[a-z0-9]+__"
    r"|[a-z][a-z0-9]*(?:\.[a-z_][a-z0-9_]*)+"  # dotted module paths
    r"|[a-z]+(?:[A-Z][a-z0-9]+)+"  # lowerCamelCase: FHIR element names
    r"|[A-Za-z]+(?:Error|Exception|Warning|Type)"  # class names Python puts in messages
    r"|[a-z]"
)
_TOKEN = re.compile(r"\w+(?:\.\w+)*")
_GAP = re.compile(r"\x00(?:[ \t]*\x00)*")


def _kept(token: str) -> bool:
    if token.isascii() and token.isdigit():
        return len(token) <= 3
    if not token.isascii():
        return False
    return token in _VOCABULARY or _CODE_SHAPES.fullmatch(token) is not None


def redact_message(text: str) -> str:
    """`text` with secrets blanked and every word not known to be code or error words withheld."""
    marked = _TOKEN.sub(lambda m: m.group() if _kept(m.group()) else "\x00", redact(text))
    return _GAP.sub(WITHHELD, marked)


def redacted_message(error: BaseException) -> str:
    """What the report says of `error`'s message (an OSError by its errno and system words)."""
    code = error.errno if isinstance(error, OSError) else None
    if isinstance(code, int) and code in errno.errorcode:
        named = " (a file name withheld)" if getattr(error, "filename", None) else ""
        return f"[{errno.errorcode[code]}] {os.strerror(code)}{named}"
    return redact_message(str(error))


def _type_name(error: BaseException) -> str:
    kind = type(error)
    module = kind.__module__
    if module in ("builtins", "__main__"):
        return kind.__qualname__
    return f"{module}.{kind.__qualname__}"


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def _chain(error: BaseException) -> list[tuple[BaseException, str]]:
    """`error` and the exceptions it came from, newest first, each with the words that say
    how it came from the next (as Python prints them)."""
    found: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        older: BaseException | None = None
        link = ""
        if current.__cause__ is not None:
            older, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            older, link = current.__context__, _CONTEXT
        found.append((current, link))
        current = older
    return found


def _one(error: BaseException) -> list[str]:
    lines: list[str] = []
    if error.__traceback__ is not None:
        lines.append("Traceback (most recent call last):\n")
        lines += traceback.format_tb(error.__traceback__)
    for note in getattr(error, "__notes__", None) or ():
        lines.append(f"note: {redact_message(str(note))}\n")
    lines.append(f"{_type_name(error)}: {redacted_message(error)}\n")
    if isinstance(error, BaseExceptionGroup):
        for number, inner in enumerate(error.exceptions, start=1):
            lines.append(f"+-- sub-exception {number} of {len(error.exceptions)}:\n")
            lines += [f"|   {line}" for line in crash_text(inner).splitlines(keepends=True)]
    return lines


def crash_text(error: BaseException) -> str:
    """The traceback of `error` and of what it came from: no locals, messages redacted.

    Its last line is the final exception's type and redacted message (notes come before it).
    """
    oldest_first = _chain(error)[::-1]
    lines: list[str] = []
    for index, (exc, _link) in enumerate(oldest_first):
        lines += _one(exc)
        if index + 1 < len(oldest_first):
            lines.append(oldest_first[index + 1][1])
    return redact("".join(lines))


def write_crash_report(error: BaseException) -> str:
    """Append the report to the crash log; returns its path, or where it could not go."""
    from clinic_tui.locations import crash_log_path

    path = crash_log_path()
    try:
        private_dir(path.parent)
        descriptor = open_private(path, os.O_WRONLY | os.O_APPEND)
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            stamp = datetime.now().astimezone().isoformat()
            handle.write(f"--- {stamp} clinic-tui {__version__}\n")
            handle.write(crash_text(error))
    except OSError:
        return "(nowhere: the log folder is not writable)"
    return str(path)
