"""Reading a question about which job listings exist ("Are there internships in Haifa?"),
and a follow-up that changes its place or filter ("what about the UK?"): a :class:`Query`, or
None for any other question."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

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
INTERN = re.compile(r"\bintern(?:s|ship|ships)?\b", re.IGNORECASE)
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


def either(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


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
            parts.append(f"in {either(self.places)}")
        return " ".join(parts)


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
        intern=bool(INTERN.search(noun) or any(INTERN.fullmatch(w) for w in quals)),
        words=" ".join(
            w for w in quals if w not in _FILLER and w not in {"remote", "virtual"}
            and not INTERN.fullmatch(w)
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
