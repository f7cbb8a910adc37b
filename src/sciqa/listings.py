"""Questions about the job listings as listings: "Are there any job openings in Israel?".

Retrieval finds the passages most like a question; a question asking *which* listings exist
wants every listing that fits, and none that does not. Such a question is recognised by its
English shape, not by what any collection holds:

    [are there | is there | any | which | what | how many | list | show me | where are ...]
    [up to four words: remote, internship, a role such as "data scientist"]
    [jobs | positions | openings | roles | vacancies | listings | internships | opportunities]
    [in/at/near PLACE (or PLACE ...) | are remote | are there | are available | ...]

and nothing else: "Does the Edinburgh job offer visa sponsorship?" asks about a listing's
content and goes to the answerer. A PLACE is a country (ISO 3166 by ``pycountry``: the location
line's first field is its alpha-2 code; "the UK", "Britain", "USA", "America" are read too), a
subdivision (``pycountry.subdivisions``: "Washington" matches ``US, WA, ...``, "Scotland"
``GB, MLN, ...``), or words of the location line ("Tel Aviv"). A phrase that is none of these
is not taken for a place when it is lower-case ("jobs in machine learning") or when the
listings mention it ("jobs in AWS"); those questions go to the answerer too.

The answer lists every matching listing: its role, its place, and one verbatim sentence of it
(``Citation.quote == file_text[start:end]``): the sentence that shows the filter asked for
("remote", "intern"), else the one naming the role, else its first. When none matches it says
so and names the countries the listings are in, each cited by a location line. Neither is an
abstention: the collection does answer the question, completely, with "these" or "none", so
``abstained`` is False; a collection without job listings leaves every question to the
answerer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache

import pycountry

from sciqa.citations import defuse
from sciqa.documents import role_of
from sciqa.schema import Answer, Citation, Passage

MODEL = "listings, listed from the documents"
MAX_LISTED = 50
_OPENING = 3  # sentences of a description that say what the listing is
_LONG = 300  # characters: a longer "sentence" is a run of bullet points, quoted only if need be

_NOUN = (
    r"(?:job|position|opening|role|vacanc(?:y|ie)|listing|posting|internship|opportunit(?:y|ie)|"
    r"career)s?"
)
_OPENER = re.compile(
    r"^(?:(?:and|so|ok|okay|please|hi|hello),?\s+)*(?:"
    r"(?:are|is) there(?: (?:any|some|currently|still|a|an|also|other|more))*"
    r"|(?:do|does|did) [\w' ]{1,30}? (?:have|list|offer|advertise|post)(?: (?:any|some))?"
    r"|any|which|what(?: (?:kinds?|types?|sorts?) of)?|how many"
    r"|(?:list|show(?: me)?|give me|name|find(?: me)?|tell me(?: about)?)(?: (?:all|the|any))*"
    r"|where (?:are|is)(?: there)?(?: the)?"
    r"|in (?:which|what) (?:countries|cities|places|locations) (?:are|is) there"
    r")\s+",
    re.IGNORECASE,
)
_HEAD = re.compile(rf"^((?:[\w'’.-]+\s+){{0,4}}?)(?:job\s+)?({_NOUN})\b\s*", re.IGNORECASE)
_FILLER = frozenset(
    ["the", "any", "all", "some", "open", "available", "current", "currently", "new", "other"]
) | {"more", "job", "jobs", "a", "an", "of"}
# Words that cannot describe the listings asked for: verbs, pronouns, what follows a name.
_NOT_QUALIFIER = frozenset(
    ["is", "are", "was", "were", "be", "do", "does", "did", "has", "have", "had", "can", "could"]
) | {"will", "would", "should", "my", "your", "his", "her", "its", "their", "our", "this", "that"}
_INTERN = re.compile(r"\bintern(?:s|ship|ships)?\b", re.IGNORECASE)
_REMOTE = re.compile(r"\bremote(?:ly)?\b|\bwork(?:ing)? from home\b|\btelecommut", re.IGNORECASE)
_REMOTE_PLACE = re.compile(r"\b(?:remote|virtual)\b", re.IGNORECASE)
_NEGATED = re.compile(r"\b(?:not|no|non|never|cannot|isn't|aren't|without)\W+(?:\w+\W+)?$")
_BE = r"(?:(?:that|which|who)\s+)?(?:are|is|were|was)?\s*"
_PLACE_END = (
    r"(?=\s+(?:right now|currently|at the moment|today|now|that|which|who|are|is|were|was)\b"
    r"|\s*[?.!]|\s*$)"
)
_REST = [
    ("", re.compile(r"^(?:(?:that|which) (?:are|is) )?(?:in|of|from) (?:the|this) "
                    r"(?:documents|collection|corpus|listings)\b", re.IGNORECASE)),
    ("place", re.compile(
        rf"^{_BE}(?:(?:located|based|available|open|offered|listed)\s+)?(?:in|at|near|around|"
        rf"within|from)\s+(?P<place>[^?.!;]+?){_PLACE_END}", re.IGNORECASE)),
    ("remote", re.compile(rf"^{_BE}(?:remote|fully remote|virtual|done remotely|remotely)\b",
                          re.IGNORECASE)),
    ("intern", re.compile(r"^for (?:interns|students)\b", re.IGNORECASE)),
    ("", re.compile(
        rf"^{_BE}(?:there|available|open|listed|advertised|offered|on offer|posted|located|"
        r"exist)\b", re.IGNORECASE)),
    ("", re.compile(r"^(?:do you have|does \w+ have|right now|currently|at the moment|today|"
                    r"now|please)\b", re.IGNORECASE)),
]  # fmt: skip
# "what about Haifa?", "and in the UK?", "how about remote ones?", "any in Seattle?"
_FOLLOW_UP = re.compile(
    r"^(?:(?:and|but|so|ok),?\s+)?(?:(?:what|how) about|any(?:thing)?|(?=(?:in|at|near)\s))"
    r"\s*(?:the\s+)?(?:ones?\s+|those\s+)?(?P<rest>.*?)\s*[?.!]*$",
    re.IGNORECASE,
)
# Country names said with "the": "in the United States", "in the Netherlands".
_TAKES_THE = re.compile(
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


@dataclass(frozen=True)
class Query:
    """What a listing question asks for: places (as written), remote, internships, and words
    the listing must hold together (a role such as "data scientist")."""

    places: tuple[str, ...] = ()
    remote: bool = False
    intern: bool = False
    words: str = ""

    def describe(self, count: int | None = None) -> str:
        """'2 remote internship listings in Haifa'; without ``count``, 'remote ... listings'."""
        noun = "internship listing" if self.intern else "job listing"
        parts = [] if count is None else [str(count)]
        parts += ["remote"] if self.remote else []
        parts.append(noun if count == 1 else f"{noun}s")
        if self.words:
            parts.append(f"mentioning {self.words}")
        if self.places:
            parts.append(f"in {_or(self.places)}")
        return " ".join(parts)


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


# -- reading the question ----------------------------------------------------------------


def parse(question: str) -> Query | None:
    """What a question about which listings exist asks for; None for any other question."""
    text = " ".join(question.split())
    opener = _OPENER.match(text)
    if not opener:
        return None
    head = _HEAD.match(text[opener.end() :])
    if not head:
        return None
    quals = [w.lower() for w in re.findall(r"[\w'’.-]+", head.group(1))]
    if any(w in _NOT_QUALIFIER or re.search(r"['’]s?$", w) for w in quals):
        return None  # "What is Erwin Gianchandani's role at ...?" asks about someone's role
    noun = head.group(2).lower()
    query = Query(
        remote=any(w in {"remote", "virtual"} for w in quals),
        intern=bool(_INTERN.search(noun) or any(_INTERN.fullmatch(w) for w in quals)),
        words=" ".join(
            w for w in quals if w not in _FILLER and w not in {"remote", "virtual"}
            and not _INTERN.fullmatch(w)
        ),
    )  # fmt: skip
    rest = text[opener.end() + head.end() :]
    return _read_rest(query, rest)


def _read_rest(query: Query, rest: str) -> Query | None:
    """The query with what the words after its noun ask; None if some of them ask more."""
    while rest.strip(" ?.!,"):
        rest = rest.strip(" ,")
        kind, m = next(((k, m) for k, p in _REST if (m := p.match(rest)) and m.end()), ("", None))
        if m is None:
            return None
        if kind == "place":
            places = re.split(r",\s*|\s+(?:or|and)\s+", m.group("place").strip())
            query = replace(query, places=query.places + tuple(p for p in places if p))
        elif kind == "remote":
            query = replace(query, remote=True)
        elif kind == "intern":
            query = replace(query, intern=True)
        rest = rest[m.end() :]
    return query


def parse_follow_up(question: str, previous: str) -> Query | None:
    """A follow-up to a listing question that changes its place or filter ("what about Haifa?",
    "and in the UK?", "how about remote ones?"): the previous query so changed; else None."""
    before = parse(previous)
    m = _FOLLOW_UP.match(" ".join(question.split()))
    if before is None or not m or not m.group("rest"):
        return None
    rest = m.group("rest")
    if re.fullmatch(r"remote(?: ones| jobs| positions)?", rest, re.IGNORECASE):
        return replace(before, remote=True)
    if re.fullmatch(r"internships?|interns?", rest, re.IGNORECASE):
        return replace(before, intern=True)
    rest = re.sub(r"^(?:ones|jobs|positions|listings)\s+", "", rest, flags=re.IGNORECASE)
    if not re.match(r"(?:in|at|near|from)\s", rest, re.IGNORECASE):
        if not rest[:1].isupper():
            return None  # "what about the salary?" asks something else
        rest = f"in {rest}"
    changed = _read_rest(Query(), rest)
    if changed is None or not changed.places:
        return None
    return replace(before, places=changed.places)


# -- places --------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case without accents: 'Karnātaka' -> 'karnataka'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def country_code(name: str) -> str | None:
    """ISO 3166 alpha-2 code of a country named in English ('Israel', 'the UK', 'USA')."""
    text = name.strip()
    folded = _fold(re.sub(r"^the\s+", "", text, flags=re.IGNORECASE))
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
def _subdivisions() -> dict[str, tuple[str, ...]]:
    """Folded subdivision name -> ISO 3166-2 codes ('washington' -> ('US-WA',))."""
    names: dict[str, list[str]] = {}
    for sub in pycountry.subdivisions:
        names.setdefault(_fold(sub.name), []).append(sub.code)
    return {k: tuple(v) for k, v in names.items()}


def _in_subdivision(location: str, code: str) -> bool:
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


def _words_in(phrase: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(_fold(phrase))}(?!\w)", _fold(text)) is not None


def _matcher(phrase: str, listings: Sequence[Listing]) -> set[int] | None:
    """Indexes of the listings in the place ``phrase``; None when it is not a place."""
    code = country_code(phrase)
    if code is not None:
        return {i for i, li in enumerate(listings) if li.country == code}
    name = _fold(re.sub(r"^the\s+", "", phrase, flags=re.IGNORECASE))
    subs = _subdivisions().get(name, ())
    found = {
        i
        for i, li in enumerate(listings)
        if any(_in_subdivision(li.location, s) for s in subs)
        or _words_in(phrase, li.location.partition(",")[2])
    }
    if found or subs:
        return found
    if not phrase[:1].isupper():
        return None  # "jobs in machine learning": a field, not a place
    if any(_words_in(phrase, c.text) for li in listings for c in li.chunks):
        return None  # "jobs in AWS": the listings speak of it, but not as where they are
    return set()  # a place the collection has no listing in


# -- answering -------------------------------------------------------------------------------


def _or(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


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
        if _INTERN.search(listing.role):
            chosen = _first(body, _role_pattern(listing.role))
        else:
            chosen = _first(body[:_OPENING], _INTERN)
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
        name = f"the {name}" if _TAKES_THE.search(name) else name
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
