"""The schema of each prescribing rule table (domain/table_schema.py does the checking).

Every key a table may hold is named here, beside the module that reads it; a key typed in a
table and named nowhere is refused when the table is read. The formulary's row keys come
from FormularyDrug's own fields, so a field added to FormularyDrug is a key the table may
carry (and formulary.py must read it: tests/unit/test_table_schema.py checks both ways).
"""

from __future__ import annotations

import dataclasses
from typing import Final

from clinic_tui.domain.table_schema import (
    LEAF,
    META,
    REQUIRED,
    ROW_REVIEW,
    Leaf,
    Named,
    Rows,
    Spec,
    Table,
)
from clinic_tui.prescribing.model import FormularyDrug, Product

# The keys of children_doses.toml (children_table.py checks their values); here, not there,
# so the schemas and the table's reader import one way.
DRUG_KEYS = frozenset(
    {
        "review",
        "band",
        "adult_from_years",
        "adult_from_kg",
        "adult_needs_both",
        "adult_cite",
        "min_age_months",
        "min_age_en",
        "min_age_zh",
        "min_age_cite",
        "not_for_children",
        "not_for_children_cite",
        "caution_below_months",
        "caution_en",
        "caution_zh",
        "caution_cite",
        "parts",
        "parts_en",
        "second_max_per_kg_day",
        "parts_cite",
        "ors_plan_a",
        "ors_plan_b_ml_per_kg",
        "ors_cite",
    }
)
"""Keys of a drug in children_doses.toml."""
BAND_KEYS = frozenset(
    {
        "from_months",
        "below_months",
        "above_kg",
        "up_to_kg",
        "neonatal",
        "per_kg_day",
        "max_per_kg_day",
        "dose",
        "above_usual_moderate",
        "max_dose",
        "max_daily",
        "cite",
    }
)
"""Keys of one dose band of a drug in children_doses.toml."""

SOURCE: Final = Named(Table({"short": REQUIRED, "short_zh": REQUIRED, "cite": REQUIRED}))
"""`[sources.<id>]` of the check tables: a short name in each language and the citation."""

DERIVED_DRUG_FIELDS: Final = frozenset({"sources", "cited", "children", "min_age_months"})
"""FormularyDrug fields never typed in a formulary row: worked out from `cite`, or filled from
another table (children and min_age_months from children_doses.toml, by with_children). A
field added that way belongs here too, or the formulary schema would allow a key formulary.py
never reads (test_table_schema fails)."""
TOML_ONLY_DRUG_KEYS: Final[dict[str, Spec]] = {
    "unit": LEAF,  # the unit doses and strengths are written in (DoseRange.unit)
    "cite": Named(LEAF),  # field name -> "source-key: where in it"
    "products": Rows(
        {
            **{f.name: LEAF for f in dataclasses.fields(Product)},
            "unit": LEAF,  # Product.strength_unit, when not the drug's unit
        }
    ),
    **ROW_REVIEW,
}
"""Row keys of the formulary that are not FormularyDrug fields (or not typed as one)."""


def drug_keys() -> dict[str, Spec]:
    """Keys a `[[drug]]` row may hold: FormularyDrug's fields, then the TOML-only keys."""
    keys: dict[str, Spec] = {
        f.name: LEAF for f in dataclasses.fields(FormularyDrug) if f.name not in DERIVED_DRUG_FIELDS
    }
    keys.update(TOML_ONLY_DRUG_KEYS)
    for name in ("code", "name_en", "name_zh", "products"):
        spec = keys[name]
        keys[name] = Leaf(required=True) if isinstance(spec, Leaf) else spec
    return keys


FORMULARY_META: Final = Table(
    {**META.keys, "unverified_ceilings": LEAF},
    required=True,
)
"""The formulary's [meta]: META and `unverified_ceilings`, the codes of systemic drugs no
source read gives an adult maximum for (each drug then lists adult_max_daily unverified)."""


def formulary_schema() -> dict[str, Spec]:
    """starter_formulary.toml and any formulary TOML imported."""
    return {
        "meta": FORMULARY_META,
        "sources": Named(LEAF),
        "drug": Rows(drug_keys(), name_key="code"),
    }


SCHEMAS: Final[dict[str, dict[str, Spec]]] = {
    "interactions.toml": {
        "meta": META,
        "sources": SOURCE,
        "class_atc": Named(LEAF),
        "class_except": Named(LEAF),
        "names_zh": Named(LEAF),
        "pair": Rows(
            {
                "a": REQUIRED,
                "b": REQUIRED,
                "severity": REQUIRED,
                "source": REQUIRED,
                "effect_en": REQUIRED,
                "effect_zh": REQUIRED,
                "advice_en": REQUIRED,
                "advice_zh": REQUIRED,
                "except_b": LEAF,
                **ROW_REVIEW,
            }
        ),
    },
    "allergy_classes.toml": {
        "meta": META,
        "sources": SOURCE,
        "atc_tags": Named(LEAF),
        "r1_amino": Table({"codes": REQUIRED, "atc": REQUIRED}),
        "allergen": Rows(
            {
                "id": REQUIRED,
                "en": REQUIRED,
                "zh": REQUIRED,
                "snomed": LEAF,
                "atc": LEAF,
                "names": LEAF,
                "tags": REQUIRED,
                "unless": LEAF,
                **ROW_REVIEW,
            },
            name_key="id",
        ),
        "rule": Rows(
            {
                "allergen": REQUIRED,
                "drug": REQUIRED,
                "kind": REQUIRED,
                "severity": REQUIRED,
                "low_criticality": REQUIRED,
                "source": REQUIRED,
                "why_en": REQUIRED,
                "why_zh": REQUIRED,
                **ROW_REVIEW,
            },
            name_key="allergen",
        ),
    },
    "duplicates.toml": {
        "meta": META,
        "sources": SOURCE,
        "class": Rows(
            {"tag": REQUIRED, "en": REQUIRED, "zh": REQUIRED, "except": LEAF, **ROW_REVIEW},
            name_key="tag",
        ),
    },
    "china_rules.toml": {
        "meta": META,
        "sources": SOURCE,
        "day_limits": Table(
            {
                "ordinary": REQUIRED,
                "paediatric": REQUIRED,
                "emergency": REQUIRED,
                "psychotropic-2": REQUIRED,
            }
        ),
        "controlled_limits": Table(
            {"injection": REQUIRED, "modified_release": REQUIRED, "other": REQUIRED}
        ),
        "pain_limits": Table(
            {"injection": REQUIRED, "modified_release": REQUIRED, "other": REQUIRED}
        ),
        "pain_patient": Table({"codes": REQUIRED}),
        "long_term": Table({"max_days": REQUIRED}),
        "slip": Table({"max_drugs": REQUIRED, "paediatric_below_age": REQUIRED}),
    },
    "childbearing.toml": {
        "meta": META,
        "sources": SOURCE,
        "drug": Rows(
            {
                "drug": REQUIRED,
                "en": REQUIRED,
                "zh": REQUIRED,
                "severity": REQUIRED,
                "source": REQUIRED,
                **ROW_REVIEW,
            },
            name_key="drug",
        ),
    },
    "hla.toml": {
        "meta": META,
        "sources": SOURCE,
        "drug": Rows(
            {
                "drug": REQUIRED,
                "allele": REQUIRED,
                "population": REQUIRED,
                "severity": REQUIRED,
                "source": REQUIRED,
                "reaction_en": REQUIRED,
                "reaction_zh": REQUIRED,
                "advice_en": REQUIRED,
                "advice_zh": REQUIRED,
                **ROW_REVIEW,
            },
            name_key="drug",
        ),
    },
    "release_forms.toml": {
        "meta": META,
        "name": Rows(
            {
                "drug": REQUIRED,
                "names": REQUIRED,
                "form_en": REQUIRED,
                "form_zh": REQUIRED,
                "stocked_en": REQUIRED,
                "stocked_zh": REQUIRED,
                **ROW_REVIEW,
            },
            name_key="drug",
        ),
    },
    "children_doses.toml": {
        "meta": META,
        "sources": Named(Table({"cite": REQUIRED})),
        # children_table.py checks the values (kinds, citations); these are its keys.
        "drug": Named(
            Table(
                {
                    **{key: LEAF for key in DRUG_KEYS if key != "band"},
                    "band": Rows(dict.fromkeys(BAND_KEYS, LEAF)),
                    "reviewed_by": LEAF,
                    "reviewed_on": LEAF,
                }
            )
        ),
    },
}
"""Schema of each check table of this package, by file name."""
