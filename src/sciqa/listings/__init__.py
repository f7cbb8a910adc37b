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

The parts: :mod:`~sciqa.listings.question` (reading the question),
:mod:`~sciqa.listings.places` (countries, subdivisions, location lines),
:mod:`~sciqa.listings.answering` (listings grouped, matched and cited),
:mod:`~sciqa.listings.asking` (a question in, its answer or None out).
"""

from __future__ import annotations

from sciqa.listings.answering import MODEL, Listing, answer, group
from sciqa.listings.asking import ask
from sciqa.listings.places import country_code, country_name, place_name
from sciqa.listings.question import Query, parse, parse_follow_up

__all__ = [
    "MODEL",
    "Listing",
    "Query",
    "answer",
    "ask",
    "country_code",
    "country_name",
    "group",
    "parse",
    "parse_follow_up",
    "place_name",
]
