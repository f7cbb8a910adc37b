"""Places as a listing's location line writes them ("US, WA, Seattle") and as a question
names them: countries (ISO 3166, by ``pycountry``, and the English names it spells otherwise),
subdivisions ("Washington", "Scotland") and the words of the line ("Tel Aviv")."""

from __future__ import annotations

import re
from functools import cache

import pycountry

from sciqa import lexical

# Country names said with "the": "in the United States", "in the Netherlands".
TAKES_THE = re.compile(
    r"^(?:United|Republic|Dominican|Central African|Czech)\b|"
    r"\b(?:Islands|Republic|Kingdom|States|Emirates|Netherlands|Philippines|Bahamas|Maldives|"
    r"Gambia|Comoros|Seychelles)$"
)
# Common English names for countries that ISO 3166 spells otherwise.
_COUNTRY_NAMES = {
    "uk": "GB",
    "u.k.": "GB",
    "britain": "GB",
    "great britain": "GB",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "america": "US",
    "united states of america": "US",
    "the states": "US",
    "russia": "RU",
    "korea": "KR",
    "holland": "NL",
    "turkey": "TR",
    "czech republic": "CZ",
    "ivory coast": "CI",
}


def fold(text: str) -> str:
    """Lower case without accents: 'Karnātaka' -> 'karnataka' (:func:`sciqa.lexical.fold`)."""
    return lexical.fold(text).strip()


def country_code(name: str) -> str | None:
    """ISO 3166 alpha-2 code of a country named in English ('Israel', 'the UK', 'USA')."""
    text = name.strip()
    folded = fold(re.sub(r"^the\s+", "", text, flags=re.IGNORECASE))
    if folded in _COUNTRY_NAMES:
        return _COUNTRY_NAMES[folded]
    if len(text) <= 3 and not text.isupper():
        return None  # "in" or "us" as a word is not a country code
    try:
        return str(pycountry.countries.lookup(re.sub(r"^the\s+", "", text, flags=re.I)).alpha_2)
    except LookupError:
        return None


def country_name(code: str) -> str:
    """'IL' -> 'Israel', 'GB' -> 'United Kingdom'; the code itself when it is not ISO 3166."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


@cache
def subdivisions() -> dict[str, tuple[str, ...]]:
    """Folded subdivision name -> ISO 3166-2 codes ('washington' -> ('US-WA',))."""
    names: dict[str, list[str]] = {}
    for sub in pycountry.subdivisions:
        names.setdefault(fold(sub.name), []).append(sub.code)
    return {k: tuple(v) for k, v in names.items()}


def in_subdivision(location: str, code: str) -> bool:
    """Whether a location line ('GB, MLN, Edinburgh') lies in subdivision ``code`` ('GB-SCT')."""
    fields = [f.strip() for f in location.split(",")]
    if len(fields) < 3:
        return False
    current = pycountry.subdivisions.get(code=f"{fields[0]}-{fields[1]}")
    while current is not None:
        if current.code == code:
            return True
        parent = getattr(current, "parent_code", None)
        current = pycountry.subdivisions.get(code=parent) if parent else None
    return False


def place_name(location: str) -> str:
    """A location line for reading: 'US, WA, Seattle' -> 'Seattle, United States'."""
    fields = [f.strip() for f in location.split(",") if f.strip()]
    if len(fields) < 2:
        return location
    return f"{fields[-1]}, {country_name(fields[0])}"


def words_in(phrase: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(fold(phrase))}(?!\w)", fold(text)) is not None
