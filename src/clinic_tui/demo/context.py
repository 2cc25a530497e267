"""What every demo builder shares: code systems, references, the clock and deterministic ids."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from clinic_tui.domain.fhir import Resource

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
UCUM = "http://unitsofmeasure.org"
ATC = "http://www.whocc.no/atc"
ACT_PRIORITY = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ORGANIZATION_KIND = "urn:clinic-tui:organization-kind"
"""Organization.type codes the cache reads as the kind: township, county, city."""
SERVICE_CATEGORY = "urn:clinic-tui:service-request-category"
"""ServiceRequest.category codes: referral, consultation."""
PRESCRIPTION_SYSTEM = "urn:clinic-tui:prescription"
DEMO_TAG = {"system": "urn:clinic-tui:tag", "code": "demo", "display": "Synthetic demo data"}

AMBULATORY = {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"}


class DemoRandom(random.Random):
    """A Random that also hands out ids, in the order the generator makes resources.

    Ids are UUIDv7-shaped: the 48-bit time field is `stamp` (one per patient, rising
    through the clinic) and the next 12 bits count the patient's resources, so ids
    sort in generation order and every id index of the cache grows at its end
    instead of at random pages. The remaining 62 bits are random from the seed.
    """

    def __init__(self, seed: int, stamp: int) -> None:
        super().__init__(seed)
        self.stamp = stamp
        self.issued = 0
        # The id's first 12 hex digits are the stamp's: written once, not per id.
        head = f"{stamp:012x}"
        self._head = f"{head[:8]}-{head[8:]}-7" if 0 <= stamp < 1 << 48 else None

    def new_id(self) -> str:
        """The next id of this stream."""
        self.issued += 1
        if self.issued >= 1 << 12:
            raise OverflowError("one id stream gives at most 4095 ids")
        if self._head is not None:
            # The same text as below, the constant head reused (millions of ids a clinic).
            tail = f"{(0b10 << 62) | self.getrandbits(62):016x}"
            return f"{self._head}{self.issued:03x}-{tail[:4]}-{tail[4:]}"
        value = (self.stamp << 80) | (0x7 << 76) | (self.issued << 64) | (0b10 << 62)
        # str(uuid.UUID(int=...)) spelled out: the same text, without building a UUID per id.
        digits = f"{value | self.getrandbits(62):032x}"
        return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def new_id(rng: DemoRandom) -> str:
    """A fresh resource id from `rng`: the same seed and stamp give the same ids."""
    return rng.new_id()


def reference(resource: Resource, display: str | None = None) -> dict[str, str]:
    """A Reference to `resource`, with a display text when given."""
    found = {"reference": f"{resource['resourceType']}/{resource['id']}"}
    if display:
        found["display"] = display
    return found


@dataclass(frozen=True)
class DemoContext:
    """The clinic, its referral hospitals, its doctors and the moment the demo is made."""

    now: datetime
    township: dict[str, str]
    county: dict[str, str]
    city: dict[str, str]
    doctors: tuple[dict[str, str], ...]
    """References to the township's practitioners."""
    meta: dict[str, Any]
    """meta shared by every resource: as if the county server had sent it, version 1."""

    @property
    def today(self) -> date:
        """The local calendar day of `now`: the day of the queue."""
        return self.now.date()

    def at(self, day: date, seconds: int) -> str:
        """ISO time with offset, `seconds` after local midnight of `day`."""
        hours, rest = divmod(seconds, 3600)
        moment = datetime.combine(day, time(hours, rest // 60, rest % 60), tzinfo=self.now.tzinfo)
        return moment.isoformat()
