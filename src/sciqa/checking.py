"""The LLM answerer's claim checks: what a model's answer keeps once its citations are numbered.

Each answer sentence is checked against the passages it cites (:mod:`sciqa.claims`: its
numbers, names and rare words must stand there; the question's names may stand in the cited
passage's document). A sentence that cites the wrong passage is cited again to the one that
holds it (:func:`reattributed`). A sentence's value must stand in its passage with what the
question ties it to (:func:`sciqa.ties.tied`: the year asked about, the birth or death stated),
and count what the passage counts with it (:func:`sciqa.ties.counts_alike`: "214 goals" is no
"214 appearances").
Then, when a model is given, it is asked whether each cited
passage states its sentence (:mod:`sciqa.verification`). What fails is taken out and listed in
``Answer.removed``; with nothing cited left, the answer is "not in the documents".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sciqa import citations, claims, speakers, ties, verification
from sciqa.answerer import NOT_FOUND
from sciqa.lexical import Lexicon
from sciqa.questions import standalone_parts
from sciqa.schema import Answer, Passage, Removed
from sciqa.text import SPACED_MARKER, answer_sentences, cited_numbers

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

# Why a sentence goes when nothing of its answer is left citing a passage.
NO_CITATION = claims.Verdict(False, "cites no passage")


@dataclass(frozen=True)
class Checker:
    """``lexicon`` gives the collection's word statistics (which words are rare; without it,
    every word is); ``document`` the text of the document a passage is part of; ``verifier``
    the chat model asked whether a cited passage states a sentence (None: the lexical check
    alone); ``doubt`` how sure it must be that a passage answers so for its sentence to stay
    (:data:`sciqa.verification.DOUBT`)."""

    lexicon: Callable[[], Lexicon] | None = None
    document: Callable[[Passage], str] | None = None
    verifier: BaseChatModel | None = None
    doubt: float = verification.DOUBT

    def checked(
        self,
        question: str,
        asked: str,
        text: str,
        given: list[Passage],
        order: dict[int, int],
        model: str,
    ) -> Answer:
        """The answer without the sentences its cited passages do not support, renumbered;
        "not in the documents" when no cited sentence is left."""
        lexicon = self.lexicon() if self.lexicon else None
        documents = [self.document(p) for p in given] if self.document else []
        text, order = reattributed(asked, text, given, order, lexicon, documents)
        cited = {n: claims.evidence(given[p - 1]) for p, n in order.items()}
        around = {n: documents[p - 1] for p, n in order.items()} if documents else None
        verdicts = claims.check_answer(text, cited, lexicon=lexicon, asked=asked, around=around)
        if documents:
            whose = {
                n: speakers.another_speaker(asked, given[p - 1].text, documents[p - 1])
                for p, n in order.items()
            }
            verdicts = [(s, _speaker_verdict(s, v, whose)) for s, v in verdicts]
        verdicts = _recheck(verdicts, cited, around or {}, lambda s, t, d: _untied(asked, s, t + d))
        if (verifier := self.verifier) is not None:
            verdicts = _recheck(
                verdicts,
                cited,
                around or {},
                lambda s, t, d: _misread(verifier, asked, s, t, d, self.doubt),
            )
        if any(not v.supported for _, v in verdicts):
            kept = citations.drop(text, [v.supported for _, v in verdicts])
            text, markers = citations.renumber(kept, order, len(given))
            order = markers.order
        if not order:  # what is left cites nothing: all of it goes
            verdicts = [(s, v if not v.supported else NO_CITATION) for s, v in verdicts]
        removed = tuple(
            Removed(shown, v.reason)
            for s, v in verdicts
            if not v.supported and (shown := citations.plain(s))
        )
        if not order:
            return Answer(question, NOT_FOUND, True, (), model=model, removed=removed)
        cites = citations.cite(text, given, order)
        return Answer(question, text, False, cites, model=model, removed=removed)


def _sources(
    sentence: str, cited: dict[int, str], around: dict[int, str]
) -> tuple[list[str], list[str]]:
    """The passages ``sentence`` cites (all of them when it marks none) and their documents."""
    ns = [n for n in dict.fromkeys(cited_numbers(sentence)) if n in cited] or list(cited)
    return [cited[n] for n in ns], [around[n] for n in ns if n in around]


def _recheck(
    verdicts: list[tuple[str, claims.Verdict]],
    cited: dict[int, str],
    around: dict[int, str],
    check: Callable[[str, list[str], list[str]], str | None],
) -> list[tuple[str, claims.Verdict]]:
    """``verdicts``, each sentence still supported failed with the reason ``check`` gives (None:
    kept); ``check`` reads the sentence, its cited passages and their documents. A sentence
    already failed is not read again."""
    out = []
    for sentence, verdict in verdicts:
        if verdict.supported:
            texts, documents = _sources(sentence, cited, around)
            if reason := check(sentence, texts, documents):
                verdict = claims.Verdict(False, reason)
        out.append((sentence, verdict))
    return out


def _untied(asked: str, sentence: str, texts: list[str]) -> str | None:
    """Why no cited passage (nor its document) gives the sentence's value for what the
    question asks about (:mod:`sciqa.ties`), or None."""
    if not ties.tied(asked, sentence, texts):
        return ties.REASON
    if not ties.counts_alike(asked, sentence, texts):
        return ties.COUNTS_REASON
    return None


def _misread(
    verifier: BaseChatModel,
    asked: str,
    sentence: str,
    texts: list[str],
    documents: list[str],
    doubt: float,
) -> str | None:
    """Why the model reads the sentence's cited passages as not answering the question as it
    does (told which of the question's names their documents hold), or None. A question that
    asks two things may be answered a part at a time: a sentence is read as the answer to the
    whole, then to each part, until one is TRUE (or the reply says neither)."""
    names = claims.named_around(asked, texts, documents)
    parts = standalone_parts(asked) if asked else []
    for part in dict.fromkeys([asked, *parts]):
        sure = verification.belief(verifier, part, sentence, texts, names)
        if sure is None or sure >= doubt:
            return None
    return verification.REASON


def _speaker_verdict(
    sentence: str, verdict: claims.Verdict, whose: dict[int, str | None]
) -> claims.Verdict:
    """``verdict``, or a failing one when every passage the sentence cites is another
    speaker's words than the one the question names (an interview: Roth's turn for "What does
    Kearns say ...?")."""
    ns = [n for n in dict.fromkeys(cited_numbers(sentence)) if n in whose] or list(whose)
    others = [whose[n] for n in ns]
    if not verdict.supported or not others or not all(others):
        return verdict
    return claims.Verdict(False, f"the cited passage is another speaker's words: {others[0]}")


def reattributed(
    question: str,
    text: str,
    given: list[Passage],
    order: dict[int, int],
    lexicon: Lexicon | None,
    documents: Sequence[str] = (),
) -> tuple[str, dict[int, int]]:
    """``text`` with each sentence that its cited passages do not hold, but one other passage
    given does, citing that passage instead, numbered again (``order``: passage -> citation).

    Small models often give the wrong number ("... Carnegie Mellon and UCLA [1]" where passage
    3 says so): the claim check then shows the sentence is supported, only elsewhere. A
    sentence of clauses that each one passage holds ("ten were named first [1], and 34 teams
    have been funded since [3]") cites each clause's passage. Any other sentence is left as it
    is, for the check to remove.
    """
    as_passages = citations.numbered_by_passage(text, order)
    evidence = [claims.evidence(p) for p in given]
    every = range(1, len(given) + 1)

    def holds(sentence: str, passages: list[int]) -> bool:
        valid = [p for p in passages if 1 <= p <= len(given)]
        texts = [evidence[p - 1] for p in valid]
        around = [documents[p - 1] for p in valid] if documents else []
        check = claims.check_clauses if len(texts) > 1 else claims.check
        return check(sentence, texts, lexicon=lexicon, asked=question, around=around).supported

    def recited(sentence: str) -> str | None:
        """The sentence citing the passage that holds it, or each clause's; None if none do."""
        bare = SPACED_MARKER.sub("", sentence).rstrip()
        if (one := next((p for p in every if holds(bare, [p])), None)) is not None:
            return f"{bare} [{one}]"
        parts = re.split(f"({claims.CLAUSE_BREAK.pattern})", bare)
        if len(parts) < 3:
            return None
        out = []
        for i, part in enumerate(parts):
            if i % 2:  # a separator
                out.append(part)
                continue
            held = next((p for p in every if holds(part, [p])), None)
            if held is None:
                return None
            end = len(part.rstrip(".!?"))
            out.append(f"{part[:end]} [{held}]{part[end:]}")
        return "".join(out)

    cited_all = list(order)
    out, at, moved = [], 0, False
    for sentence in answer_sentences(as_passages):
        start = as_passages.index(sentence, at)
        out.append(as_passages[at:start])
        at = start + len(sentence)
        marked = [int(n) for n in re.findall(r"\[(\d{1,3})\]", sentence)]
        if not holds(sentence, marked or cited_all) and (again := recited(sentence)):
            sentence, moved = again, True
        out.append(sentence)
    if not moved:
        return text, order
    out.append(as_passages[at:])
    rewritten, markers = citations.rewrite("".join(out), len(given))
    return rewritten, markers.order
