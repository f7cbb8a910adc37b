"""Answering a listing question: the collection's job chunks grouped into listings, those that
fit the :class:`~sciqa.listings.question.Query` each cited by one verbatim sentence, or "none"
with the countries the listings are in."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sciqa.citations import defuse
from sciqa.listings.places import (
    TAKES_THE,
    country_code,
    country_name,
    fold,
    in_subdivision,
    place_name,
    subdivisions,
    words_in,
)
from sciqa.listings.question import INTERN, Query
from sciqa.roles import role_of
from sciqa.schema import Answer, Citation, Passage

MODEL = "listings, listed from the documents"
MAX_LISTED = 50
_OPENING = 3  # sentences of a description that say what the listing is
_LONG = 300  # characters: a longer "sentence" is a run of bullet points, quoted only if need be
_REMOTE = re.compile(r"\bremote(?:ly)?\b|\bwork(?:ing)? from home\b|\btelecommut", re.IGNORECASE)
_REMOTE_PLACE = re.compile(r"\b(?:remote|virtual)\b", re.IGNORECASE)
_NEGATED = re.compile(r"\b(?:not|no|non|never|cannot|isn't|aren't|without)\W+(?:\w+\W+)?$")


@dataclass(frozen=True)
class Listing:
    """One job listing of the collection: its chunks in file order."""

    source: str
    title: str
    location: str
    chunks: tuple[Passage, ...] = field(repr=False)

    @property
    def role(self) -> str:
        return role_of(self.title)

    @property
    def country(self) -> str:
        return self.location.split(",")[0].strip()

    def sentences(self) -> Iterator[tuple[Passage, int, int, str]]:
        """(chunk, start, end, text) of each sentence once, in file order."""
        seen: set[int] = set()
        for chunk in self.chunks:
            for offset, start, end in chunk.spans:
                if start not in seen:
                    seen.add(start)
                    yield chunk, start, end, chunk.text[offset : offset + (end - start)]


def group(chunks: Sequence[Passage]) -> list[Listing]:
    """The listings that job chunks (in file order) belong to. A listing starts where a chunk
    starts with its location line, or where the file, the title or the location changes. A
    listing whose every chunk repeats one listed before (the same posting on two pages) is
    left out."""
    listings: list[list[Passage]] = []
    for chunk in chunks:
        opens = chunk.text[: len(chunk.location)] == chunk.location and bool(chunk.location)
        last = listings[-1][-1] if listings else None
        if (
            last is None
            or opens
            or (last.source, last.title, last.location)
            != (chunk.source, chunk.title, chunk.location)
        ):
            listings.append([chunk])
        else:
            listings[-1].append(chunk)
    out: list[Listing] = []
    seen: set[tuple[str, ...]] = set()
    for part in listings:
        # A listing published on two pages is listed once.
        key = (part[0].title, part[0].location, *(c.text for c in part))
        if key not in seen:
            seen.add(key)
            out.append(Listing(part[0].source, part[0].title, part[0].location, tuple(part)))
    return out


def _matcher(phrase: str, listings: Sequence[Listing]) -> set[int] | None:
    """Indexes of the listings in the place ``phrase``; None when it is not a place."""
    code = country_code(phrase)
    if code is not None:
        return {i for i, li in enumerate(listings) if li.country == code}
    name = fold(re.sub(r"^the\s+", "", phrase, flags=re.IGNORECASE))
    subs = subdivisions().get(name, ())
    found = {
        i
        for i, li in enumerate(listings)
        if any(in_subdivision(li.location, s) for s in subs)
        or words_in(phrase, li.location.partition(",")[2])
    }
    if found or subs:
        return found
    if not phrase[:1].isupper():
        return None  # "jobs in machine learning": a field, not a place
    if any(words_in(phrase, c.text) for li in listings for c in li.chunks):
        return None  # "jobs in AWS": the listings speak of it, but not as where they are
    return set()  # a place the collection has no listing in


# -- answering -------------------------------------------------------------------------------


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _shows(sentence: str, pattern: re.Pattern[str]) -> bool:
    """Whether ``sentence`` says what ``pattern`` finds, not its negation ("not remote")."""
    return any(
        not _NEGATED.search(sentence[max(0, m.start() - 30) : m.start()])
        for m in pattern.finditer(sentence)
    )


def _evidence(listing: Listing, query: Query) -> tuple[Passage, int, int, str] | None:
    """The sentence to quote for a listing that fits ``query``; None when it does not fit."""
    sentences = list(listing.sentences())
    if not sentences:
        return None
    body = sentences[1:] if sentences[0][3] == listing.location else sentences
    chosen = None
    if query.intern:  # an internship names itself in its role or its opening sentences
        if INTERN.search(listing.role):
            chosen = _first(body, _role_pattern(listing.role))
        else:
            chosen = _first(body[:_OPENING], INTERN)
            if chosen is None:
                return None
    if query.remote:
        remote = _first(sentences, _REMOTE_PLACE if _shows(listing.location, _REMOTE_PLACE)
                        else _REMOTE)  # fmt: skip
        if remote is None:
            return None
        chosen = chosen or remote
    if query.words:
        words = re.compile(rf"\b{re.escape(query.words)}", re.IGNORECASE)
        held = _first(sentences, words)
        if held is None and not words.search(listing.title):
            return None
        chosen = chosen or held
    if chosen is None and listing.role:
        chosen = _first(body, _role_pattern(listing.role))
    return chosen or (body or sentences)[0]


def _role_pattern(role: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(role)}", re.IGNORECASE)


def _first(
    sentences: Sequence[tuple[Passage, int, int, str]], pattern: re.Pattern[str]
) -> tuple[Passage, int, int, str] | None:
    """The first sentence that shows ``pattern``, preferring one short enough to read."""
    found = [s for s in sentences if _shows(s[3], pattern)]
    return next((s for s in found if len(s[3]) <= _LONG), found[0] if found else None)


def answer(
    question: str, query: Query, listings: Sequence[Listing], *, known_places: bool = False
) -> Answer | None:
    """The listings that fit ``query``, each with its role, place and a quoted sentence; or,
    when none does, where the listings are. None when a "place" of the query is not one (with
    ``known_places``, also when it is not a country, a subdivision or in a location line)."""
    chosen = set(range(len(listings)))
    for_places: set[int] = set()
    for phrase in query.places:
        found = _matcher(phrase, listings)
        if found is None or (known_places and not found and country_code(phrase) is None):
            return None
        for_places |= found
    if query.places:
        chosen &= for_places
    fitting = []
    for i in sorted(chosen, key=lambda i: _order(listings[i])):
        quoted = _evidence(listings[i], query)
        if quoted is not None:
            fitting.append((listings[i], quoted))
    if not fitting:
        return _none(question, query, listings)
    lines, citations = [], []
    for n, (listing, (chunk, start, end, text)) in enumerate(fitting[:MAX_LISTED], start=1):
        role = listing.role or "Job listing"
        lines.append(f"{role} · {place_name(listing.location)}: {defuse(text)} [{n}]")
        citations.append(_cite(n, chunk, start, end, text))
    head = query.describe(len(fitting))
    if not query.places:  # where they are, by country
        counts: dict[str, int] = {}
        for listing, _ in fitting:
            counts[listing.country] = counts.get(listing.country, 0) + 1
        if len(counts) > 1:
            by = sorted(counts, key=lambda c: (-counts[c], country_name(c)))
            head += f" ({', '.join(f'{country_name(c)} {counts[c]}' for c in by)})"
    head += f", the first {MAX_LISTED}:" if len(fitting) > MAX_LISTED else ":"
    return Answer(question, "\n".join([head, *lines]), False, tuple(citations), model=MODEL)


def _order(listing: Listing) -> tuple[str, str, str, int]:
    """Listings are listed by country, then place, then where they stand in the files."""
    return (
        country_name(listing.country),
        place_name(listing.location),
        listing.source,
        listing.chunks[0].start,
    )


def _none(question: str, query: Query, listings: Sequence[Listing]) -> Answer:
    """'No listings in Brazil; the listings are in the United States [1], India [2] ...'."""
    counts: dict[str, int] = {}
    example: dict[str, tuple[Passage, int, int, str]] = {}
    for li in listings:
        counts[li.country] = counts.get(li.country, 0) + 1
        first = next(li.sentences())
        if first[3] == li.location:
            example.setdefault(li.country, first)
    countries = sorted(counts, key=lambda c: (-counts[c], country_name(c)))
    named: list[str] = []
    citations: list[Citation] = []
    for code in countries:
        name = country_name(code)
        name = f"the {name}" if TAKES_THE.search(name) else name
        if code in example:
            chunk, start, end, text = example[code]
            citations.append(_cite(len(citations) + 1, chunk, start, end, text))
            name = f"{name} [{len(citations)}]"
        named.append(name)
    what = query.describe().replace("job listings", "listings")
    text = f"No {what}; the job listings are in {_and(named)}."
    return Answer(question, text, False, tuple(citations), model=MODEL)


def _cite(n: int, chunk: Passage, start: int, end: int, text: str) -> Citation:
    return Citation.of(n, chunk, (text, start, end), 1.0)
