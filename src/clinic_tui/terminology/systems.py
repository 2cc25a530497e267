"""The code systems diagnoses are coded in, by their FHIR URIs."""

from __future__ import annotations

WHO_ICD10 = "http://hl7.org/fhir/sid/icd-10"
"""WHO ICD-10, as HL7 names it (terminology.hl7.org: the ICD-10 international edition)."""

NATIONAL_ICD10 = "urn:clinic-tui:codesystem:icd-10-cn-clinical-2.0"
"""China's national clinical edition 2.0 (国家临床版 2.0, extension codes like I10.x00x002).

HL7 publishes no URI for it, so this is clinic-tui's own identifier; a hospital that
has assigned one should be asked before codes in this system are sent to its server.
"""

SYSTEM_NAMES = {WHO_ICD10: "WHO ICD-10", NATIONAL_ICD10: "ICD-10 国家临床版 2.0"}
"""Short names of the systems, for messages."""
