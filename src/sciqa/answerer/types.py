"""Answer types: what a question asks for, and where a sentence holds one.

A "when" question wants a date of any era ("1072", "AD 911", "300 BC", "the 12th century",
"the late 80s", "March 4, 1918"), "how many" a number, "how much" money (or an amount), "how
tall" a measure (a number with a unit of length, mass, area or volume), "how long" or "how far"
a duration or a measure, "who" a person, "where" a place, "which university" an organisation.
These are recognised by general English patterns (no names of any collection): capitalised names,
numbers and their units, currency signs and words, months and centuries.

:func:`asked.expected_type <sciqa.answerer.asked.expected_type>` reads the question; :func:`spans`
finds the type's spans in a sentence (character offsets), which the answerer checks ("does the
sentence hold what is asked?") and marks in the answer (``Citation.highlights``).
"""

from __future__ import annotations

import re

TIME, DURATION, NUMBER, MONEY, PERCENT = "time", "duration", "number", "money", "percent"
MEASURE, EXTENT = "measure", "extent"  # extent: a duration or a measure ("how long", "how far")
PERSON, PLACE, ORG = "person", "place", "org"
KINDS = (TIME, DURATION, NUMBER, MONEY, PERCENT, MEASURE, EXTENT, PERSON, PLACE, ORG)
# The kinds that are values written with digits or number words: a sentence holding none does
# not answer a question asking for one.
VALUES = frozenset({TIME, DURATION, NUMBER, MONEY, PERCENT, MEASURE, EXTENT})

_N = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
_N += r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
_N += r"eighty|ninety|hundred|thousand|million|billion|trillion|dozen|dozens|hundreds|thousands|"
_N += r"millions|several|a few|a dozen|half a|a half|a couple of|a)"
NUMBER_WORDS = re.compile(rf"\b{_N}(?:[- ]{_N})*\b", re.IGNORECASE)
_ORDINAL = (
    r"(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|"
    r"tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|"
    r"eighteenth|nineteenth|twentieth|twenty-first)"
)
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"(?:\s?(?:thousand|million|billion|trillion|bn|m|k)\b)?"

_TIME = re.compile(
    "|".join(
        [
            rf"\b(?:(?:early|mid|late|the early|the mid|the late)[- ])?(?:the )?{_ORDINAL}"
            r"(?:[- ]century|[- ]centuries| and {_O} centuries)\b".replace("{_O}", _ORDINAL),
            r"\b(?:(?:early|mid|late)[- ]?)?(?:1\d|20)?\d0['’]?s\b",  # 1960s, the late 80s
            r"['’]\d0s\b",
            r"\b(?:the )?(?:early |mid-|late )?(?:twenties|thirties|forties|fifties|sixties|"
            r"seventies|eighties|nineties)\b",
            rf"\b(?:\d{{1,2}} )?{_MONTH}(?: \d{{1,2}}(?:st|nd|rd|th)?)?(?:,? \d{{3,4}})?\b",
            r"\b(?:spring|summer|autumn|fall|winter) (?:of )?\d{3,4}\b",
            r"\b(?:AD|A\.D\.|CE|C\.E\.)\s?\d{1,4}\b",
            r"\b\d{1,4}\s?(?:BC|BCE|B\.C\.|B\.C\.E\.|AD|A\.D\.|CE)(?![\w])",
            r"\b(?:1[0-9]\d\d|20\d\d)\b(?![,.]\d)",  # a four-digit year, 1000-2099
            r"\bc\. ?\d{3,4}\b",
            r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b",
        ]
    ),
    re.IGNORECASE,
)
# A three-digit year needs a cue: "in 843", not "in 500 cities".
_TIME_CUED = re.compile(
    r"\b(?:in|by|of|from|until|till|since|around|about|circa|year|before|after) (?:c\. ?)?"
    r"(\d{3})\b(?![,.]\d)(?! (?:\w+ )?[a-z]+s\b)",
    re.IGNORECASE,
)
_UNIT = (
    r"(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries|century|"
    r"millennia|millennium|generations?|semesters?|terms?|nights?)"
)
_DURATION = re.compile(
    rf"\b(?:{_DIGITS}|{_N}(?:[- ]{_N})*)(?:[- ]and[- ]a[- ]half)?[- ](?:\w+[- ])?{_UNIT}\b",
    re.IGNORECASE,
)
_CURRENCY_WORD = (
    r"(?:dollars?|euros?|pounds?(?: sterling)?|yen|yuan|renminbi|rupees?|francs?|marks?|"
    r"crowns?|kronor|krona|kroner|pesos?|lire|lira|shillings?|pence|ducats?|florins?|guilders?|"
    r"livres?|denarii|drachmas?|talents?|rubles?|roubles?|won|rand|reais|real|cents?|"
    r"USD|EUR|GBP|JPY|CNY|INR|CHF|AUD|CAD)"
)
_MONEY = re.compile(
    rf"(?:[$€£¥₹₩]|\b(?:US|USD|EUR|GBP|A|C|HK)\$?)\s?(?:{_DIGITS}){_SCALE}(?:\s?(?:/|per|an|a)\s?"
    rf"(?:year|yr|hour|hr|month|week|day|annum))?"
    rf"|\b(?:{_DIGITS}|{_N}(?:[- ]{_N})*){_SCALE}\s{_CURRENCY_WORD}\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(
    rf"\b(?:{_DIGITS})\s?(?:%|per ?cent\b|percentage points?\b)|\b{_N}(?:[- ]{_N})* per ?cent\b|"
    r"\b(?:half|a third|two thirds|a quarter|three quarters|a fifth|a tenth|a majority)\b(?!-)",
    re.IGNORECASE,
)
_NUMBER = re.compile(rf"\b(?:{_DIGITS}){_SCALE}|{NUMBER_WORDS.pattern}", re.IGNORECASE)
# A measure is a number (digits, or a number word: never "a", so "I am" and "a stone" are not
# measures) and a unit of length, mass, area or volume, squared or cubed ("km2", "m²").
_MEASURE_UNIT = (
    r"(?:(?:square |sq\.? |cubic |nautical |statute )?(?:(?:kilo|centi|milli)?(?:metres?|meters?)|"
    r"miles?|feet|foot|inch(?:es)?|yards?)|km|cm|mm|nm|mi|ft|yd|sq\.? ?(?:ft|mi|km|m)|"
    r"(?:kilo|milli)?grams?|kg|mg|tonnes?|tons?|lbs?|ounces?|oz|hundredweight|hectares?|acres?|"
    r"(?:milli)?lit(?:re|er)s?|ml|gallons?|pints?|barrels?|cubits?|leagues?|fathoms?)(?:[23²³])?"
)
_MEASURE_NUMBER = rf"(?:{_DIGITS}|(?!a\b|a few\b|half a\b|a half\b|a couple\b){_N}(?:[- ]{_N})*)"
_MEASURE = re.compile(
    rf"\b{_MEASURE_NUMBER}(?:[- ]and[- ]a[- ]half)?(?:[- ]|(?<=\d))(?:{_MEASURE_UNIT}|m|g)\b"
    r"(?![-'’]\w)|"  # "12 metres", "12m", "12 km2"; not "6 m-long"
    rf"\b{_MEASURE_NUMBER}-(?:{_MEASURE_UNIT}|m)\b",  # "a 17-metre tower"
    re.IGNORECASE,
)

# A capitalised name: one or more capitalised words, with the small words names contain
# ("Duke of Normandy", "Leonardo da Vinci", "Charles the Bald") and initials ("J. R. Smith").
_CAP = r"(?:[A-Z][\w’'\-]*[\w]|[A-Z]\.|[A-Z])"
_NAME = re.compile(
    rf"(?<![\w’'-]){_CAP}(?:(?:\s+(?:of|de|da|di|von|van|der|den|la|le|du|del|bin|ibn|al|the|and)"
    rf")*\s+{_CAP})*"
)
_ORG_WORD = re.compile(
    r"\b(?:University|College|Institute|School|Academy|Company|Corporation|Corp\.?|Inc\.?|"
    r"Ltd\.?|LLC|Group|Society|Association|Agency|Council|Committee|Commission|Foundation|Bank|"
    r"Laboratory|Laboratories|Lab|Labs|Museum|Library|Church|Party|Army|Navy|Force|Federation|"
    r"Union|League|Ministry|Department|Office|Board|Trust|Press|Hospital|Centre|Center|"
    r"Organi[sz]ation|Company|Guild|Order|Club|Team|Initiative|Program|Programme|Fund|Court)\b"
)
_ACRONYM = re.compile(r"\b[A-Z][A-Z&]{1,7}s?\b")
_PLACE_CUE = re.compile(
    r"\b(?:in|at|from|to|near|into|across|throughout|outside|inside|toward|towards|between|"
    r"around|north of|south of|east of|west of|based in|located in|born in|capital of)\s+$",
    re.IGNORECASE,
)
_PLACE_WORD = re.compile(
    r"\b(?:City|River|Mountains?|Mount|Lake|Sea|Ocean|Island|Islands|Bay|Valley|Coast|Kingdom|"
    r"Republic|Empire|Province|County|State|Street|Road|Square|Park|Desert|Peninsula|Strait|"
    r"Gulf|Harbour|Harbor|Port|Castle|Abbey|Cathedral|Palace|Bridge)\b"
)
# Capitalised words that are not names: months and days (a date), and words capitalised only
# because they open a sentence are handled by the caller.
_NOT_NAME = re.compile(
    rf"^(?:{_MONTH}|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|I|A|An|The|This|"
    r"That|These|Those|It|Its|He|She|They|We|You|His|Her|Their|Our|In|On|At|By|For|From|With|"
    r"As|After|Before|During|When|While|Although|However|But|And|Or|If|Since|Until|Today|"
    r"Yesterday|Mr|Mrs|Ms|Dr|Sir|St|What|Which|Who|Whom|Whose|Where|Why|How|There|Here|Yet|"
    r"Also|Then|Such|My|Your|Not|Yes|No)$"
)

_PATTERNS = {
    TIME: _TIME,
    DURATION: _DURATION,
    MONEY: _MONEY,
    PERCENT: _PERCENT,
    NUMBER: _NUMBER,
    MEASURE: _MEASURE,
}


def _names(sentence: str) -> list[tuple[int, int]]:
    """Capitalised names in ``sentence``, without a sentence-opening word that is not a name."""
    out = []
    for m in _NAME.finditer(sentence):
        start, text = m.start(), m.group(0)
        words = text.split()
        # Drop leading words that are capitalised as grammar, not as names ("The", "In").
        while words and _NOT_NAME.match(words[0].rstrip(".")):
            start += len(words[0]) + (len(text) - len(text.lstrip())) + 1
            text = text[len(words[0]) :].lstrip()
            words = words[1:]
        while words and words[-1].lower() in {"of", "de", "the", "and", "da", "von", "van"}:
            text = text[: text.rfind(words[-1])].rstrip()
            words = words[:-1]
        if not words or all(_NOT_NAME.match(w.rstrip(".")) for w in words):
            continue
        start = sentence.find(text, start)
        out.append((start, start + len(text)))
    return out


def spans(sentence: str, kind: str) -> list[tuple[int, int]]:
    """Character spans of ``kind`` in ``sentence``, in order."""
    if kind == EXTENT:
        return sorted(set(spans(sentence, DURATION)) | set(spans(sentence, MEASURE)))
    if kind in _PATTERNS:
        found = [(m.start(), m.end()) for m in _PATTERNS[kind].finditer(sentence)]
        if kind == TIME:
            found += [m.span(1) for m in _TIME_CUED.finditer(sentence)]
            found = [s for s in found if not any(_inside(s, o) for o in found)]
        if kind == NUMBER:  # a count is not a year, a date, money or a share
            taken = [s for k in (TIME, MONEY, PERCENT) for s in spans(sentence, k)]
            found = [s for s in found if not any(_overlaps(s, t) for t in taken)]
            found += [s for s in spans(sentence, MONEY) + spans(sentence, PERCENT)]
            found = [s for s in found if sentence[s[0] : s[1]].strip().lower() != "a"]
        if kind == DURATION:
            found = [s for s in found if not re.match(r"a\s", sentence[s[0] : s[1]], re.I)] + [
                s for s in found if re.match(r"a\s", sentence[s[0] : s[1]], re.I)
            ]
        return sorted(set(found))
    dates = spans(sentence, TIME)
    names = [s for s in _names(sentence) if not any(_overlaps(s, d) for d in dates)]
    if kind == PERSON:
        return [s for s in names if not _ORG_WORD.search(sentence[s[0] : s[1]])]
    if kind == ORG:
        return [
            s
            for s in names
            if _ORG_WORD.search(sentence[s[0] : s[1]]) or _ACRONYM.fullmatch(sentence[s[0] : s[1]])
        ]
    if kind == PLACE:
        return [
            s
            for s in names
            if _PLACE_CUE.search(sentence[max(0, s[0] - 16) : s[0]])
            or _PLACE_WORD.search(sentence[s[0] : s[1]])
        ]
    return []


def _inside(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """``a`` lies within ``b`` and is not ``b``."""
    return b[0] <= a[0] and a[1] <= b[1] and a != b


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


# A unit after a number (a length, a mass, a time, a currency, "per", "percent"): a value's
# measure, not the thing it counts ("12 metres" against "31 stations").
UNIT = re.compile(
    rf"(?:{_MEASURE_UNIT}|{_UNIT}|{_CURRENCY_WORD}|per|percent|m|g|am|pm|bc|ad)", re.IGNORECASE
)


def numbers(text: str) -> set[str]:
    """The numbers written in ``text`` as digits, normalised ("201,300" -> "201300")."""
    return {m.group(0).replace(",", "").rstrip(".") for m in re.finditer(_DIGITS, text)}


_STANDALONE = re.compile(rf"(?<![\w.,-])(?:{_DIGITS})(?![\w]|[.,]\d)")


def standalone_numbers(text: str) -> set[str]:
    """The numbers ``text`` names on their own, normalised: "in 1925", "3,100"; not the digits
    of "1920s", "CO2", "19th" or "HERON-2" (part of a word or a name)."""
    return {m.group(0).replace(",", "").rstrip(".") for m in _STANDALONE.finditer(text)}
