"""The formulary in memory: find a drug by any of its names, complete one as it is typed.

`Formulary` is built from a list of FormularyDrug (the shipped starter, or the cache's table:
see formulary_store.py). `find` takes an exact name; `complete` answers as-you-type prefixes in
English, Chinese, synonyms and pinyin (full or initials: `amxl` finds 阿莫西林).

The starter data is `starter_formulary.toml` beside this module; `drugs_from_toml` reads it
(and any file of the same shape) and refuses a row without a cited source.

Class tags the safety checks match on (FormularyDrug.classes), exact words:
penicillin, cephalosporin, r1-amino (cephalosporins sharing amoxicillin/ampicillin's R1 side
chain: cefalexin, cefradine, cefaclor, cefadroxil), sulfonamide-antibiotic, nsaid, statin,
ace-inhibitor, arb, thiazide, loop-diuretic, k-sparing, beta-blocker, ccb, sulfonylurea,
biguanide, alpha-glucosidase-inhibitor, dpp4-inhibitor, insulin, antiplatelet,
anticoagulant-vka, macrolide, fluoroquinolone, tetracycline, nitroimidazole, nitrofuran,
ppi, h2-antagonist, h1-antihistamine, beta2-agonist, antimuscarinic-inhaled, corticosteroid,
opioid, benzodiazepine, ssri, nitrate, cardiac-glycoside, thyroid-hormone, antimicrobial,
antiviral, antifungal, antiepileptic, antipsychotic, salicylate, xanthine.
"""

from __future__ import annotations

import difflib
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from functools import cache
from importlib import resources
from typing import Any

from clinic_tui.domain.pinyin import search_keys
from clinic_tui.prescribing.children_table import children_table
from clinic_tui.prescribing.model import (
    Controlled,
    DoseRange,
    FormularyDrug,
    Pregnancy,
    Product,
)

CLASS_TAGS: frozenset[str] = frozenset(
    {
        "penicillin",
        "cephalosporin",
        "r1-amino",
        "sulfonamide-antibiotic",
        "nsaid",
        "statin",
        "ace-inhibitor",
        "arb",
        "thiazide",
        "loop-diuretic",
        "k-sparing",
        "beta-blocker",
        "ccb",
        "sulfonylurea",
        "biguanide",
        "alpha-glucosidase-inhibitor",
        "dpp4-inhibitor",
        "insulin",
        "antiplatelet",
        "anticoagulant-vka",
        "macrolide",
        "fluoroquinolone",
        "tetracycline",
        "nitroimidazole",
        "nitrofuran",
        "ppi",
        "h2-antagonist",
        "h1-antihistamine",
        "beta2-agonist",
        "antimuscarinic-inhaled",
        "corticosteroid",
        "opioid",
        "benzodiazepine",
        "ssri",
        "nitrate",
        "cardiac-glycoside",
        "thyroid-hormone",
        "antimicrobial",
        "antiviral",
        "antifungal",
        "antiepileptic",
        "antipsychotic",
        "salicylate",
        "xanthine",
    }
)
"""Every class tag a formulary row may carry (listed in the module docstring)."""

ROUTES: frozenset[str] = frozenset({"po", "iv", "im", "sc", "inh", "top", "sl", "pr", "eye"})
"""Route codes a formulary row may name."""


def normalise(text: str) -> str:
    """The form names are compared in: NFKC, lower case, no spaces, hyphens or dots."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in folded if char not in " \t-_.·'’/,()（）")


PinyinKeys = tuple[tuple[str, ...], tuple[str, ...]]
"""A drug's pinyin keys: (initials of each Chinese name, full pinyin of each)."""


def drug_names(drug: FormularyDrug) -> tuple[str, ...]:
    """The drug's names, normalised, deduplicated: code, English, 通用名, synonyms."""
    names = (drug.code, drug.name_en, drug.name_zh, *drug.synonyms)
    return tuple(dict.fromkeys(n for n in (normalise(x) for x in names) if n))


def pinyin_keys(drug: FormularyDrug) -> PinyinKeys:
    """The pinyin keys of the drug's Chinese names (loads pypinyin: a second on an old PC).

    Worked out once when a drug is written into the cache (formulary_store.py) and read back
    from there, so completing a drug name never waits for pypinyin.
    """
    pairs = [search_keys(name) for name in drug_names(drug) if any(_is_han(c) for c in name)]
    return tuple(p[1] for p in pairs), tuple(p[0] for p in pairs)


@dataclass(frozen=True)
class _Keys:
    """The names one drug answers to, normalised, and its pinyin keys (filled lazily)."""

    names: tuple[str, ...]
    """code, English name, 通用名, synonyms: what `find` matches exactly."""
    han: tuple[str, ...]
    """Its Chinese names (通用名 and Chinese synonyms), for pinyin keys."""


class Formulary:
    """The drugs a clinic can prescribe, searchable by every name a clinician types."""

    def __init__(
        self, drugs: Iterable[FormularyDrug], pinyin: Mapping[str, PinyinKeys] | None = None
    ) -> None:
        """Index `drugs`; a later row with a code already seen replaces the earlier one.

        `pinyin`: drug code -> its pinyin keys as stored with it (see `pinyin_keys`); a drug
        without them has its keys worked out on the first Latin query.
        """
        by_code: dict[str, FormularyDrug] = {}
        for drug in drugs:
            by_code[drug.code] = with_children(drug)
        self._drugs: tuple[FormularyDrug, ...] = tuple(by_code.values())
        self._keys: list[_Keys] = []
        self._exact: dict[str, FormularyDrug] = {}
        for drug in self._drugs:
            normalised = drug_names(drug)
            han = tuple(n for n in normalised if any(_is_han(c) for c in n))
            self._keys.append(_Keys(normalised, han))
        # Exact names: the code and the names first, synonyms after, so a synonym that
        # happens to equal another drug's name never hides that drug.
        for rank in (0, 1):
            for drug in self._drugs:
                names = (
                    [drug.code, drug.name_en, drug.name_zh] if rank == 0 else list(drug.synonyms)
                )
                for name in names:
                    self._exact.setdefault(normalise(name), drug)
        given = pinyin or {}
        self._pinyin: list[PinyinKeys | None] = [given.get(drug.code) for drug in self._drugs]
        self._pinyin_complete = all(keys is not None for keys in self._pinyin)

    def __len__(self) -> int:
        """How many drugs it holds."""
        return len(self._drugs)

    def __iter__(self) -> Iterator[FormularyDrug]:
        """The drugs, in the order they were given."""
        return iter(self._drugs)

    @property
    def drugs(self) -> tuple[FormularyDrug, ...]:
        """The drugs, in the order they were given."""
        return self._drugs

    def find(self, name: str) -> FormularyDrug | None:
        """The drug whose code, English name, 通用名 or a synonym is exactly `name` (any case)."""
        key = normalise(name)
        return self._exact.get(key) if key else None

    def by_atc(self, atc: str) -> FormularyDrug | None:
        """The first drug with WHO ATC code `atc`, or None."""
        wanted = atc.strip().upper()
        return next((drug for drug in self._drugs if drug.atc.upper() == wanted), None)

    def complete(self, prefix: str, limit: int = 10) -> list[FormularyDrug]:
        """Drugs for what has been typed so far, best first: exact, prefix, pinyin, inside."""
        query = normalise(prefix)
        if not query or limit <= 0:
            return []
        latin = query.isascii()
        pinyin = self._pinyin_keys() if latin and query.isalpha() else None
        ranked: list[tuple[int, int, FormularyDrug]] = []
        for index, (drug, keys) in enumerate(zip(self._drugs, self._keys, strict=True)):
            tier = _tier(query, keys.names)
            if pinyin is not None:
                initials, full = pinyin[index]
                if any(key.startswith(query) for key in (*initials, *full)):
                    tier = min(tier, 2)
            if tier < _NO_MATCH:
                ranked.append((tier, index, drug))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [drug for _, _, drug in ranked[:limit]]

    def nearest(self, name: str, limit: int = 3) -> list[FormularyDrug]:
        """The drugs whose names look most like `name` (for 'unknown drug: did you mean')."""
        key = normalise(name)
        if not key:
            return []
        found = self.complete(name, limit)
        if found:
            return found
        scored: list[tuple[float, int, FormularyDrug]] = []
        for index, (drug, keys) in enumerate(zip(self._drugs, self._keys, strict=True)):
            best = max(difflib.SequenceMatcher(None, key, n).ratio() for n in keys.names)
            if best >= 0.5:
                scored.append((-best, index, drug))
        scored.sort(key=lambda item: (item[0], item[1]))
        return [drug for _, _, drug in scored[:limit]]

    @property
    def index_ready(self) -> bool:
        """True when completion needs no pypinyin: every drug's pinyin keys are at hand."""
        return self._pinyin_complete

    def _pinyin_keys(self) -> list[PinyinKeys]:
        # Keys the cache did not supply are worked out on the first Latin query only:
        # pypinyin's tables cost a quarter of a second or more to load.
        if not self._pinyin_complete:
            for index, keys in enumerate(self._keys):
                if self._pinyin[index] is None:
                    pairs = [search_keys(name) for name in keys.han]
                    self._pinyin[index] = (
                        tuple(p[1] for p in pairs),
                        tuple(p[0] for p in pairs),
                    )
            self._pinyin_complete = True
        return [keys for keys in self._pinyin if keys is not None]


_NO_MATCH = 9


def _tier(query: str, names: tuple[str, ...]) -> int:
    if query in names:
        return 0
    if any(name.startswith(query) for name in names):
        return 1
    # Inside a name: 地平 finds 氨氯地平; Latin only from three letters, so 'ol' lists nothing.
    if (len(query) >= 3 or not query.isascii()) and any(query in name for name in names):
        return 3
    return _NO_MATCH


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


# --- reading formulary data -------------------------------------------------------------


class FormularyDataError(ValueError):
    """A formulary row that cannot be used, named by its code and what is wrong."""


CITED_FIELDS: frozenset[str] = frozenset(
    {
        "adult_dose",
        "adult_max_dose",
        "adult_max_daily",
        "child_per_kg_day",
        "child_max_daily",
        "pregnancy",
        "breastfeeding",
        "renal_caution",
        "elderly_caution",
        "egfr_avoid_below",
        "elderly_max_daily",
        "elderly_max_days",
    }
)
"""Fields a row may carry only with a cited source (or listed in its `unverified`)."""


def drugs_from_toml(text: str, name: str = "starter_formulary.toml") -> list[FormularyDrug]:
    """Every `[[drug]]` of a formulary TOML text, checked against the schema
    (table_specs.formulary_schema: an unknown key is refused) and row by row."""
    from clinic_tui.domain.table_schema import TableSchemaError, check
    from clinic_tui.prescribing.table_specs import formulary_schema

    table = tomllib.loads(text)
    try:
        check(name, table, formulary_schema())
    except TableSchemaError as error:
        raise FormularyDataError(str(error)) from error
    sources: dict[str, str] = table.get("sources", {})
    meta: dict[str, Any] = table.get("meta", {})
    return [with_children(_drug(row, sources, meta)) for row in table.get("drug", [])]


def _drug(row: dict[str, Any], sources: dict[str, str], meta: dict[str, Any]) -> FormularyDrug:
    from clinic_tui.domain.table_schema import TableSchemaError, review_state

    code = str(row.get("code", "")).strip()
    if not code:
        raise FormularyDataError("a drug without a code")

    def cite(reference: str) -> str:
        # "bnf: Amoxicillin" is the source listed as bnf, then where in it.
        key, _, where = reference.partition(":")
        key = key.strip()
        if key not in sources:
            raise FormularyDataError(f"{code}: source {key!r} is not listed under [sources]")
        return f"{sources[key]}, {where.strip()}" if where.strip() else sources[key]

    cited: list[tuple[str, str]] = []
    for field_name, key in row.get("cite", {}).items():
        if field_name not in _FIELD_NAMES:
            raise FormularyDataError(f"{code}: cite names {field_name!r}, no field of a drug")
        cited.append((field_name, cite(key)))
    unverified = tuple(row.get("unverified", ()))
    if code in meta.get("unverified_ceilings", ()) and "adult_max_daily" not in unverified:
        unverified += ("adult_max_daily",)
    if any(name not in _FIELD_NAMES for name in unverified):
        raise FormularyDataError(f"{code}: unverified names a field no drug has: {unverified}")
    named = {name for name, _ in cited} | set(unverified)
    missing = sorted(name for name in CITED_FIELDS if name in row and name not in named)
    if missing:
        raise FormularyDataError(f"{code}: no cited source for {', '.join(missing)}")
    classes = tuple(row.get("classes", ()))
    unknown = [tag for tag in classes if tag not in CLASS_TAGS]
    if unknown:
        raise FormularyDataError(f"{code}: unknown class tags {unknown}")
    routes = tuple(row.get("routes", ("po",)))
    if not routes or any(route not in ROUTES for route in routes):
        raise FormularyDataError(f"{code}: routes must be among {sorted(ROUTES)}")
    dose = row.get("adult_dose")
    child = row.get("child_per_kg_day")
    unit = row.get("unit", "mg")
    products = tuple(_product(code, unit, item) for item in row.get("products", ()))
    if not products:
        raise FormularyDataError(f"{code}: no product (form and strength)")
    try:
        review, reviewed_by, reviewed_on = review_state(row, meta)
    except TableSchemaError as error:
        raise FormularyDataError(f"{code}: {error}") from error
    max_days = row.get("elderly_max_days")
    return FormularyDrug(
        code=code,
        name_en=row["name_en"],
        name_zh=row["name_zh"],
        atc=row.get("atc", ""),
        classes=classes,
        routes=routes,
        products=products,
        adult_dose=DoseRange(float(dose[0]), float(dose[1]), unit) if dose else None,
        adult_max_daily=_float(row.get("adult_max_daily")),
        child_per_kg_day=(float(child[0]), float(child[1])) if child else None,
        child_max_daily=_float(row.get("child_max_daily")),
        pregnancy=Pregnancy(row.get("pregnancy", "unknown")),
        breastfeeding=Pregnancy(row.get("breastfeeding", "unknown")),
        antimicrobial=bool(row.get("antimicrobial", False)),
        controlled=Controlled(row.get("controlled", "")),
        no_long_term=bool(row.get("no_long_term", False)),
        renal_caution=row.get("renal_caution", ""),
        elderly_caution=row.get("elderly_caution", ""),
        synonyms=tuple(row.get("synonyms", ())),
        sources=tuple(dict.fromkeys(citation for _, citation in cited)),
        cited=tuple(cited),
        review=review,
        reviewed_by=reviewed_by,
        reviewed_on=reviewed_on,
        unverified=unverified,
        elderly_max_daily=_float(row.get("elderly_max_daily")),
        elderly_max_days=int(max_days) if max_days is not None else None,
        adult_max_dose=_float(row.get("adult_max_dose")),
        egfr_avoid_below=_float(row.get("egfr_avoid_below")),
        generic=bool(row.get("generic", True)),
    )


_FIELD_NAMES: frozenset[str] = frozenset(f.name for f in fields(FormularyDrug))


def with_children(drug: FormularyDrug) -> FormularyDrug:
    """The drug with its children's doses and minimum age from children_doses.toml, if any.

    Kept apart from the formulary row's own fields: the children's table is keyed by drug
    code, so a drug read from the cache or an import gets the same rows as the starter.
    """
    if drug.children is not None:
        return drug
    found = children_table().get(drug.code)
    if found is None:
        return drug
    return replace(drug, children=found[0], min_age_months=found[1])


def _product(code: str, unit: str, item: dict[str, Any]) -> Product:
    try:
        return Product(
            form=item["form"],
            strength=float(item["strength"]),
            strength_unit=item.get("unit", unit),
            unit_en=item["unit_en"],
            unit_zh=item["unit_zh"],
            volume_ml=_float(item.get("volume_ml")),
            pack_size=int(item["pack_size"]) if "pack_size" in item else None,
            pack_unit_en=item.get("pack_unit_en", ""),
            pack_unit_zh=item.get("pack_unit_zh", ""),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise FormularyDataError(f"{code}: a product lacks or garbles {error}") from error


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@cache
def starter_drugs() -> tuple[FormularyDrug, ...]:
    """The starter formulary shipped with clinic-tui (starter_formulary.toml), read once."""
    text = (
        resources.files("clinic_tui.prescribing")
        .joinpath("starter_formulary.toml")
        .read_text(encoding="utf-8")
    )
    return tuple(drugs_from_toml(text))


def starter_formulary() -> Formulary:
    """A Formulary of the shipped starter data."""
    return Formulary(starter_drugs())
