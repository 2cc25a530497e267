"""One order line as a clinician says it, read into a DraftOrder: `parse_order_line(text, f)`.

Reads English and Chinese, spaced or run together: `amox 500mg po tid 7d`,
`阿莫西林 0.5g 口服 每日三次 7天`, `二甲双胍 500mg bid`, `ibuprofen 400 prn q8h 3d`,
`salbutamol 2 puffs prn qid`, `amlodipine 5mg qd 4w`, `x7d`, `7/7`, `×3日`, `饭后`.

- The drug is the longest leading text that is a formulary name (a unique prefix of four
  letters or two Han characters will do); the rest is read word by word.
- A bare number is a dose in the drug's unit; `2 puffs`, `1片` are dispensable units.
- The route defaults to the drug's first route. A month is 30 days.
- The product is the strength that gives whole units per dose (the fewest units; for a
  count of units, the only product); half a plain tablet when no strength gives whole ones.
- Quantity = units per dose x doses per day x days, rounded up, then to whole packs when the
  product is dispensed by the pack. An inhaler or pen with no duration is one pack.

Anything not read makes `order` None with a problem per part, in the process's language
(i18n.tr; the Chinese is registered below). Never raises on any text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from clinic_tui.i18n import language, tr
from clinic_tui.prescribing.formulary import Formulary, normalise
from clinic_tui.prescribing.model import DraftOrder, FormularyDrug, Frequency, ParsedLine, Product
from clinic_tui.prescribing.release_forms import not_stocked

MAX_LINE = 300
"""Longer input is a paste gone wrong, not an order line."""

# ---------------------------------------------------------------- vocabulary

_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9, "十": 10, "半": 0.5}  # fmt: skip
_NUM = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十]+|半)"


def _number(text: str) -> float:
    """A number typed in digits or Chinese numerals up to 99 (十四, 二十一)."""
    if text[0].isdigit():
        return float(text)
    if text == "半":
        return 0.5
    if "十" in text:
        tens, _, ones = text.partition("十")
        return float(_CN_DIGITS.get(tens, 1) * 10 + (_CN_DIGITS[ones] if ones else 0))
    return float(_CN_DIGITS[text])


@dataclass(frozen=True)
class _Freq:
    code: str
    per_day: float
    en: str
    zh: str


_FIXED_FREQUENCIES: dict[str, _Freq] = {}
for _words, _freq in (
    (("qd", "od", "daily", "oncedaily", "onceaday", "每日一次", "每天一次", "一日一次", "日一次",
      "一天一次", "每日1次", "一日1次", "每天1次", "1日1次", "1天1次", "日1次", "qam", "qm",
      "每晨一次", "每早一次", "晨起"),
     _Freq("qd", 1, "once a day", "每日一次")),
    (("bid", "bd", "twicedaily", "每日两次", "每日二次", "每天两次", "一日两次", "一日二次",
      "日两次", "日二次", "一天两次", "每日2次", "一日2次", "每天2次", "1日2次", "1天2次",
      "日2次", "twiceaday"),
     _Freq("bid", 2, "twice a day", "每日两次")),
    (("tid", "tds", "每日三次", "每天三次", "一日三次", "日三次", "一天三次", "每日3次",
      "一日3次", "每天3次", "1日3次", "1天3次", "日3次", "threetimesaday", "threetimesdaily"),
     _Freq("tid", 3, "three times a day", "每日三次")),
    (("qid", "qds", "每日四次", "每天四次", "一日四次", "日四次", "一天四次", "每日4次",
      "一日4次", "每天4次", "1日4次", "1天4次", "日4次", "fourtimesaday", "fourtimesdaily"),
     _Freq("qid", 4, "four times a day", "每日四次")),
    (("qn", "qhs", "hs", "nocte", "每晚一次", "每晚", "睡前", "每晚1次", "睡前一次", "qpm",
      "atnight", "atbedtime", "everynight"),
     _Freq("qn", 1, "once a night, at bedtime", "每晚一次")),
    (("qod", "隔日一次", "隔日1次", "隔日"), _Freq("qod", 0.5, "every other day", "隔日一次")),
    (("qw", "weekly", "每周一次", "每周1次", "一周一次"), _Freq("qw", 1 / 7, "once a week",
                                                              "每周一次")),
    (("stat", "立即", "st", "once"), _Freq("stat", 1, "once, now", "立即一次")),
):  # fmt: skip
    for _word in _words:
        _FIXED_FREQUENCIES[_word] = _freq
# The q-hourly codes whose times per day are not a plain count (q8h is tid, above).
for _hours in (1, 2, 3, 4, 6, 8, 12, 24):
    _FIXED_FREQUENCIES.setdefault(
        f"q{_hours}h",
        _Freq(f"q{_hours}h", 24 / _hours, f"every {_hours} hours", f"每{_hours}小时一次"),
    )
_FIXED_FREQUENCIES["q24h"] = _FIXED_FREQUENCIES["qd"]
_FIXED_FREQUENCIES["q6h"] = _Freq("q6h", 4, "every 6 hours", "每6小时一次")
_FIXED_FREQUENCIES["q8h"] = _Freq("q8h", 3, "every 8 hours", "每8小时一次")
_FIXED_FREQUENCIES["q12h"] = _Freq("q12h", 2, "every 12 hours", "每12小时一次")

_PRN_WORDS = ("prn", "asneeded", "必要时", "需要时", "按需", "疼时", "痛时", "sos")

_ROUTE_WORDS = {
    "po": "po", "oral": "po", "orally": "po", "bymouth": "po", "口服": "po", "口": "po",
    "iv": "iv", "ivgtt": "iv", "静滴": "iv", "静注": "iv", "静脉": "iv", "静脉滴注": "iv",
    "静脉注射": "iv",
    "im": "im", "肌注": "im", "肌内注射": "im", "肌肉注射": "im",
    "sc": "sc", "sq": "sc", "subcut": "sc", "ih": "sc", "皮下": "sc", "皮下注射": "sc",
    "inh": "inh", "inhaled": "inh", "吸入": "inh", "喷吸": "inh",
    "top": "top", "topical": "top", "外用": "top", "外涂": "top",
    "sl": "sl", "舌下": "sl", "舌下含服": "sl", "含服": "sl",
    "pr": "pr", "直肠": "pr", "塞肛": "pr", "纳肛": "pr",
    "eye": "eye", "滴眼": "eye",
}  # fmt: skip

_INSTRUCTION_WORDS = {
    "饭后": ("after food", "饭后"), "餐后": ("after food", "饭后"), "pc": ("after food", "饭后"),
    "afterfood": ("after food", "饭后"), "aftermeals": ("after food", "饭后"),
    "饭前": ("before food", "饭前"), "餐前": ("before food", "饭前"),
    "ac": ("before food", "饭前"), "beforefood": ("before food", "饭前"),
    "beforemeals": ("before food", "饭前"),
    "随餐": ("with food", "随餐"), "餐中": ("with food", "随餐"), "withfood": ("with food", "随餐"),
    "空腹": ("on an empty stomach", "空腹"), "嚼服": ("chewed", "嚼服"),
    "chew": ("chewed", "嚼服"), "整片吞服": ("swallowed whole", "整片吞服"),
}  # fmt: skip

# Units a dose may be written in, to (kind, factor into the base unit of the kind).
_MASS = {"g": 1000.0, "mg": 1.0, "µg": 0.001, "μg": 0.001, "ug": 0.001, "mcg": 0.001,
         "克": 1000.0, "毫克": 1.0, "微克": 0.001}  # fmt: skip
_IU = {"iu": 1.0, "u": 1.0, "unit": 1.0, "units": 1.0, "单位": 1.0}
_ML = {"ml": 1.0, "毫升": 1.0}
_COUNT = {
    "tab": "tablet", "tabs": "tablet", "tablet": "tablet", "tablets": "tablet", "片": "tablet",
    "cap": "capsule", "caps": "capsule", "capsule": "capsule", "capsules": "capsule",
    "粒": "capsule", "颗": "capsule",
    "puff": "puff", "puffs": "puff", "揿": "puff", "喷": "puff", "吸": "puff",
    "inhalation": "puff", "inhalations": "puff",
    "支": "unit", "袋": "unit", "包": "unit", "sachet": "unit", "sachets": "unit",
    "滴": "drop", "drop": "drop", "drops": "drop",
}  # fmt: skip
_DEVICE_FORMS = frozenset({"inhaler", "dry-powder-inhaler", "injection-pen", "cream", "ointment",
                           "eye-drops", "gel"})  # fmt: skip
"""Forms whose pack lasts as long as it lasts: no duration needed, one pack by default."""

_UNIT_WORDS = sorted([*_MASS, *_IU, *_ML, *_COUNT], key=len, reverse=True)
_UNIT_RE = "|".join(re.escape(word) for word in _UNIT_WORDS)

_DURATION_UNITS = {
    "d": 1, "day": 1, "days": 1, "天": 1, "日": 1,
    "w": 7, "wk": 7, "wks": 7, "week": 7, "weeks": 7, "周": 7, "星期": 7,
    "mo": 30, "month": 30, "months": 30, "个月": 30, "月": 30, "m": 30,
}  # fmt: skip
_DURATION_RE = "|".join(re.escape(w) for w in sorted(_DURATION_UNITS, key=len, reverse=True))

# Patterns tried in order at each position of the text after the drug's name.
_LATIN_END = r"(?![a-zµμ])"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # 7/7 = seven days, 2/52 = two weeks, 1/12 = a month (British shorthand).
    ("slash-duration", re.compile(r"(\d+)\s*/\s*(7|52|12)" + _LATIN_END)),
    ("q-hours", re.compile(r"q\s*(\d+)\s*h(?:rs?|ours?)?" + _LATIN_END)),
    ("every-hours", re.compile(r"每\s*(" + _NUM + r")\s*(?:个)?\s*(?:小时|h)\s*(?:一次|1次)?")),
    (
        "times-a-day",
        re.compile(
            r"(?:每|一|1)?\s*(?:日|天)\s*(?:最多)?\s*("
            + _NUM
            + r")\s*次|("
            + _NUM
            + r")\s*次\s*/\s*(?:日|天|d)"
        ),
    ),
    (
        "duration",
        re.compile(
            r"(?:x|×|\*|for|共|连用|连服|用|服|疗程)?\s*("
            + _NUM
            + r")\s*(?:个)?\s*("
            + _DURATION_RE
            + r")"
            + _LATIN_END
        ),
    ),
    (
        "dose",
        re.compile(
            # 80万单位: 万 (ten thousand) between the number and the unit, as penicillin is written.
            r"(\d+(?:\.\d+)?|(?:[一二两三四五六七八九十]+|半)(?=\s*(?:"
            + _UNIT_RE
            + r")))\s*(万)?\s*("
            + _UNIT_RE
            + r")?"
            + _LATIN_END
        ),
    ),
)
_WORD = re.compile(r"[a-zµμ]+|[\u3400-\u9fff]+|\S")


@dataclass
class _Reading:
    """What has been read of a line so far."""

    drug: FormularyDrug | None = None
    dose: tuple[float, str, str] | None = None
    """(value, unit as typed, kind: mass / iu / ml / count / bare)."""
    frequency: _Freq | None = None
    as_needed: bool = False
    duration: int | None = None
    duration_text: str = ""
    route: str | None = None
    instructions: list[str] = field(default_factory=list)
    unknown_frequency: bool = False
    """A word that looked like a frequency was not one (so 'no frequency' is not said too)."""
    problems: list[str] = field(default_factory=list)


def parse_order_line(text: str, formulary: Formulary) -> ParsedLine:
    """Read one typed order line into a DraftOrder, or say what could not be read."""
    try:
        return _parse(text, formulary)
    except Exception as error:  # pragma: no cover - the property test keeps this unreached
        # An order line must never take the screen down: say so and keep the text.
        return ParsedLine(text, None, (tr("could not read {word!r}").format(word=str(error)),))


def _parse(text: str, formulary: Formulary) -> ParsedLine:
    if len(text) > MAX_LINE:
        return ParsedLine(
            text,
            None,
            (tr("the line is too long (at most {most} characters)").format(most=MAX_LINE),),
        )
    clean = _clean(text)
    if not clean:
        return ParsedLine(text, None, (tr("nothing typed"),))
    reading = _Reading()
    rest = _read_drug(clean, formulary, reading)
    if reading.drug is None:
        return ParsedLine(text, None, tuple(reading.problems))
    _read_rest(rest, reading)
    return _order(text, reading)


def _clean(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    # b.i.d. -> bid: a dot between letters is punctuation, between digits a decimal point.
    folded = re.sub(r"(?<=[a-z])\.(?=[a-z])|(?<=[a-z])\.(?![0-9])", "", folded)
    folded = re.sub(r"[，,;；、。]", " ", folded)
    return " ".join(folded.split())


def _read_drug(clean: str, formulary: Formulary, reading: _Reading) -> str:
    """Set reading.drug from the start of the line; answer the text after its name."""
    # The name ends before the first number (or × x7d); try its longest part that is a name.
    head_end = len(clean)
    number = re.search(r"(?<![a-z])\d|×|(?<![a-z])x\d", clean)
    if number:
        head_end = number.start()
    head = clean[:head_end].rstrip()
    for end in range(len(head), 0, -1):
        if end < len(head) and not _boundary(head, end):
            continue
        unstocked = None if formulary.find(head[:end]) else not_stocked(head[:end])
        if unstocked is not None:
            # A form the formulary lacks: never read as the stocked form of the ingredient.
            zh = _zh()
            reading.problems.append(
                tr(
                    "{name!r} is not stocked in this form ({form}); the formulary has {stocked}"
                ).format(
                    name=head[:end].strip(),
                    form=unstocked.form_zh if zh else unstocked.form_en,
                    stocked=unstocked.stocked_zh if zh else unstocked.stocked_en,
                )
            )
            return ""
        drug = formulary.find(head[:end])
        if drug is not None:
            reading.drug = drug
            return clean[end:]
    # No exact name: the first word(s) as a unique prefix.
    words = head.split()
    if not words:
        reading.problems.append(tr("no drug name at the start of the line"))
        return ""
    name = _name_part(words[0])
    candidates = formulary.complete(name, limit=6)
    normalised = normalise(name)
    long_enough = len(normalised) >= 4 or (not normalised.isascii() and len(normalised) >= 2)
    if len(candidates) == 1 and long_enough:
        reading.drug = candidates[0]
        return clean[clean.find(name) + len(name) :]
    if len(candidates) > 1 and long_enough:
        names = ", ".join(_display(drug) for drug in candidates[:5])
        reading.problems.append(
            tr("{name!r} could be {names}: type more of the name").format(name=name, names=names)
        )
        return ""
    nearest = formulary.nearest(name, limit=3)
    if nearest:
        reading.problems.append(
            tr("unknown drug {name!r}; nearest in the formulary: {names}").format(
                name=name, names=", ".join(_display(drug) for drug in nearest)
            )
        )
    else:
        reading.problems.append(tr("unknown drug {name!r}").format(name=name))
    return ""


def _name_part(word: str) -> str:
    # A Chinese name run into its route or frequency (阿莫西林口服): the Han run before them.
    match = re.match(r"[\u3400-\u9fff]+", word)
    if not match:
        return word
    run = match.group()
    for cut in range(2, len(run)):
        tail = run[cut:]
        if any(tail.startswith(w) for w in (*_ROUTE_WORDS, *_FIXED_FREQUENCIES, *_PRN_WORDS)):
            return run[:cut]
    return run


def _boundary(head: str, end: int) -> bool:
    # Latin names end at a space; Han names may run straight into the next word (二甲双胍口服).
    before, after = head[end - 1], head[end]
    return after == " " or _is_han(before)


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff"


def _display(drug: FormularyDrug) -> str:
    return f"{drug.name_en} {drug.name_zh}"


def _read_rest(rest: str, reading: _Reading) -> None:
    position = 0
    while position < len(rest):
        if rest[position] in " +":
            position += 1
            continue
        position = _read_one(rest, position, reading)


def _read_one(rest: str, position: int, reading: _Reading) -> int:
    """Read one thing at `position`; answer where the next one starts."""
    for kind, pattern in _PATTERNS:
        match = pattern.match(rest, position)
        if match is None:
            continue
        if kind == "slash-duration":
            per = {"7": 1, "52": 7, "12": 30}[match.group(2)]
            _set_duration(reading, int(match.group(1)) * per, match.group())
        elif kind == "duration":
            days = _number(match.group(1)) * _DURATION_UNITS[match.group(2)]
            _set_duration(reading, math.ceil(days), match.group())
        elif kind in ("q-hours", "every-hours"):
            hours = _number(match.group(1))
            if hours <= 0:
                reading.problems.append(
                    tr("unknown frequency {word!r}").format(word=match.group().strip())
                )
            else:
                code = f"q{hours:g}h"
                fixed = _FIXED_FREQUENCIES.get(code)
                freq = fixed or _Freq(
                    code, 24 / hours, f"every {hours:g} hours", f"每{hours:g}小时一次"
                )
                _set_frequency(reading, freq, match.group())
        elif kind == "times-a-day":
            count = _number(match.group(1) or match.group(2))
            key = f"每日{count:g}次"
            freq = _FIXED_FREQUENCIES.get(key) or _Freq(
                f"{count:g}/d", count, f"{count:g} times a day", f"每日{count:g}次"
            )
            _set_frequency(reading, freq, match.group())
        else:
            _set_dose(reading, match)
        return match.end()
    return _read_word(rest, position, reading)


def _read_word(rest: str, position: int, reading: _Reading) -> int:
    match = _WORD.match(rest, position)
    assert match is not None  # _read_rest skips spaces, so something is here
    word = match.group()
    if _is_han(word[0]):
        return _read_han(rest, position, match.end(), reading)
    for phrase_words in (4, 3, 2, 1):
        # Latin phrases typed with spaces: "once daily", "after food", "as needed", "by mouth".
        words = rest[position:].split(" ")[:phrase_words]
        if len(words) == phrase_words and _take_word("".join(words), reading):
            return position + len(" ".join(words))
    if _take_word(word, reading):
        return match.end()
    if re.fullmatch(r"q\w*", word) and word not in _ROUTE_WORDS:
        reading.unknown_frequency = True
        reading.problems.append(tr("unknown frequency {word!r}").format(word=word))
    else:
        reading.problems.append(tr("could not read {word!r}").format(word=word))
    return match.end()


def _read_han(rest: str, start: int, end: int, reading: _Reading) -> int:
    """A run of Han characters: the longest known words from its start, one after another."""
    run = rest[start:end]
    cut = len(run)
    while cut > 0:
        if _take_word(run[:cut], reading):
            return start + cut
        cut -= 1
    # Nothing known at its start: report the run up to the next known word.
    for skip in range(1, len(run)):
        if any(_known(run[skip:cut2]) for cut2 in range(len(run), skip, -1)):
            reading.problems.append(tr("could not read {word!r}").format(word=run[:skip]))
            return start + skip
    if run.startswith(("每", "日", "一日", "每日")):
        reading.unknown_frequency = True
        reading.problems.append(tr("unknown frequency {word!r}").format(word=run))
    else:
        reading.problems.append(tr("could not read {word!r}").format(word=run))
    return end


def _known(word: str) -> bool:
    return (
        word in _FIXED_FREQUENCIES
        or word in _PRN_WORDS
        or word in _ROUTE_WORDS
        or word in _INSTRUCTION_WORDS
    )


def _take_word(word: str, reading: _Reading) -> bool:
    if word in _PRN_WORDS:
        reading.as_needed = True
        return True
    if word in _FIXED_FREQUENCIES:
        if word == "睡前" and reading.frequency is not None:
            reading.instructions.append("睡前")
            return True
        _set_frequency(reading, _FIXED_FREQUENCIES[word], word)
        return True
    if word in _ROUTE_WORDS:
        route = _ROUTE_WORDS[word]
        if reading.route is not None and reading.route != route:
            reading.problems.append(
                tr("two routes ({first} and {second})").format(first=reading.route, second=route)
            )
        reading.route = route
        return True
    if word in _INSTRUCTION_WORDS:
        reading.instructions.append(word)
        return True
    return False


def _set_frequency(reading: _Reading, freq: _Freq, typed: str) -> None:
    if reading.frequency is not None and reading.frequency.code != freq.code:
        reading.problems.append(
            tr("two frequencies ({first} and {second})").format(
                first=reading.frequency.code, second=typed.strip()
            )
        )
    reading.frequency = freq


def _set_duration(reading: _Reading, days: int, typed: str) -> None:
    if reading.duration is not None:
        reading.problems.append(
            tr("two durations ({first} and {second})").format(
                first=reading.duration_text, second=typed.strip()
            )
        )
    reading.duration = days
    reading.duration_text = typed.strip()


def _set_dose(reading: _Reading, match: re.Match[str]) -> None:
    value = _number(match.group(1)) * (10000 if match.group(2) else 1)
    unit = match.group(3) or ""
    if unit in _MASS:
        kind = "mass"
    elif unit in _IU:
        kind = "iu"
    elif unit in _ML:
        kind = "ml"
    elif unit in _COUNT:
        kind = "count"
    else:
        kind = "bare"
    if reading.dose is not None:
        first_value, first_unit, _ = reading.dose
        reading.problems.append(
            tr("two doses ({first} and {second})").format(
                first=f"{first_value:g}{first_unit}", second=match.group().strip()
            )
        )
    reading.dose = (value, unit, kind)


# ---------------------------------------------------------------- building the order


def _order(text: str, reading: _Reading) -> ParsedLine:
    drug = reading.drug
    assert drug is not None
    problems = reading.problems
    route = reading.route or drug.routes[0]
    if reading.route is not None and reading.route not in drug.routes:
        problems.append(
            tr("route {route} is not how {drug} is given ({routes})").format(
                route=reading.route,
                drug=drug.name_zh if _zh() else drug.name_en,
                routes=", ".join(drug.routes),
            )
        )
    chosen = _dose_and_product(drug, reading, problems)
    frequency = _frequency(drug, reading, chosen, problems)
    duration = reading.duration
    if duration == 0:
        problems.append(tr("a duration of zero days"))
    if chosen is not None and duration is None and chosen[1].form not in _DEVICE_FORMS:
        problems.append(tr("no duration (e.g. 7d, 7天)"))
    if problems or chosen is None or frequency is None:
        return ParsedLine(text, None, tuple(dict.fromkeys(problems)))
    dose, product, units_per_dose = chosen
    quantity, unit_en, unit_zh = quantity_for(product, units_per_dose, frequency.per_day, duration)
    order = DraftOrder(
        text=text,
        drug=drug,
        product=product,
        dose=dose,
        dose_unit=product.strength_unit,
        route=route,
        frequency=frequency,
        duration_days=duration,
        quantity=quantity,
        quantity_unit=unit_en,
        instructions=" ".join(dict.fromkeys(reading.instructions)),
        quantity_unit_zh=unit_zh,
    )
    return ParsedLine(text, order, ())


def _zh() -> bool:
    return language() == "zh"


def _dose_and_product(
    drug: FormularyDrug, reading: _Reading, problems: list[str]
) -> tuple[float, Product, float] | None:
    """(dose in the drug's unit, product, units per dose), or None with the problem said."""
    if reading.dose is None:
        problems.append(tr("no dose (e.g. 500mg)"))
        return None
    value, unit, kind = reading.dose
    if value <= 0:
        problems.append(tr("a dose of zero"))
        return None
    products = drug.products
    base = products[0].strength_unit
    strengths = ", ".join(
        f"{p.strength:g} {p.strength_unit} {p.unit_zh if _zh() else p.unit_en}" for p in products
    )
    if kind == "count":
        if len(products) > 1:
            matching = [p for p in products if _COUNT[unit] in (p.unit_en, "unit")]
            if len(matching) != 1:
                problems.append(
                    tr("{count} {unit}: which strength? ({strengths})").format(
                        count=f"{value:g}", unit=unit, strengths=strengths
                    )
                )
                return None
            product = matching[0]
        else:
            product = products[0]
        return value * product.strength, product, value
    if kind == "ml":
        liquids = [p for p in products if p.volume_ml]
        if not liquids:
            problems.append(
                tr("dose in {unit}, but {drug} is dosed in {expected}").format(
                    unit=unit, drug=drug.name_en, expected=base
                )
            )
            return None
        product = liquids[0]
        assert product.volume_ml is not None
        return value / product.volume_ml * product.strength, product, value / product.volume_ml
    amount = _in_unit(value, unit, kind, base)
    if amount is None:
        problems.append(
            tr("dose in {unit}, but {drug} is dosed in {expected}").format(
                unit=unit, drug=drug.name_en, expected=base
            )
        )
        return None
    fits: list[tuple[float, Product]] = []
    for product in products:
        units = amount / product.strength
        if abs(units - round(units)) < 1e-6 and round(units) >= 1:
            fits.append((round(units), product))
    if not fits:
        # Half a plain tablet (12.5 mg of hydrochlorothiazide from a 25 mg tablet) is how such
        # doses are given; never half of a modified-release, enteric or sublingual one.
        for product in products:
            units = amount / product.strength
            if product.form == "tablet" and abs(units * 2 - round(units * 2)) < 1e-6 and units > 0:
                fits.append((round(units * 2) / 2, product))
    if not fits:
        # A child's dose of a liquid (160 mg of 100 mg/ml drops is 1.6 ml) or of an injection
        # (400 mg from a 1 g vial) is measured, not counted: when no tablet or sachet gives
        # it, the first liquid or vial does.
        liquid = next((p for p in products if p.volume_ml or p.form == "injection"), None)
        if liquid is not None:
            fits.append((amount / liquid.strength, liquid))
    if not fits:
        problems.append(
            tr("dose {dose} is not a whole number of any stocked strength ({strengths})").format(
                dose=f"{value:g}{unit or base}", strengths=strengths
            )
        )
        return None
    # The fewest units per dose: 500 mg is one 500 mg capsule, not two 250 mg ones.
    units, product = min(fits, key=lambda fit: fit[0])
    return amount, product, float(units)


def _in_unit(value: float, unit: str, kind: str, base: str) -> float | None:
    """`value unit` in the drug's unit `base`, or None when they do not convert."""
    if kind == "bare":
        return value
    base_key = base.casefold()
    if kind == "mass" and base_key in _MASS:
        return round(value * _MASS[unit] / _MASS[base_key], 9)
    if kind == "iu" and base_key in _IU:
        return value
    return None


def _frequency(
    drug: FormularyDrug,
    reading: _Reading,
    chosen: tuple[float, Product, float] | None,
    problems: list[str],
) -> Frequency | None:
    freq = reading.frequency
    if freq is None and reading.as_needed:
        # PRN with no interval: as often as the maximum daily dose allows, if the formulary
        # gives one; otherwise the prescriber must say.
        if chosen is not None and drug.adult_max_daily:
            times = math.floor(drug.adult_max_daily / chosen[0])
            if times >= 1:
                freq = _Freq(f"max{times}/d", times, f"up to {times} times a day",
                             f"每日最多{times}次")  # fmt: skip
        if freq is None:
            problems.append(tr("as needed: how often at most? (e.g. prn q6h)"))
            return None
    if freq is None:
        if not reading.unknown_frequency:
            problems.append(tr("no frequency (e.g. tid, 每日三次)"))
        return None
    if reading.as_needed:
        return Frequency(
            code=f"{freq.code} prn",
            per_day=freq.per_day,
            as_needed=True,
            text_en=f"when needed, at most {freq.en}",
            text_zh=f"必要时，最多{freq.zh}",
        )
    return Frequency(code=freq.code, per_day=freq.per_day, text_en=freq.en, text_zh=freq.zh)


def quantity_for(
    product: Product, units_per_dose: float, per_day: float, days: int | None
) -> tuple[int, str, str]:
    """(how many to hand over, its unit in English, in Chinese): whole units, or whole packs."""
    if product.pack_size:
        pack_en = product.pack_unit_en or "pack"
        pack_zh = product.pack_unit_zh or "盒"
        if days is None:
            return 1, pack_en, pack_zh
        units = math.ceil(round(units_per_dose * per_day * days, 6))
        return max(1, math.ceil(units / product.pack_size)), pack_en, pack_zh
    if days is None:
        days = 1
    units = math.ceil(round(units_per_dose * per_day * days, 6))
    return max(1, units), product.unit_en, product.unit_zh
