"""The offline, extractive answerer: a package of six small modules.

- :mod:`~sciqa.answerer.question`: cleaning a question, and what it asks about;
- :mod:`~sciqa.answerer.asked`: the answer type a question asks for (a date, an amount, a name);
- :mod:`~sciqa.answerer.types`: where a sentence holds a value of each type;
- :mod:`~sciqa.answerer.features`: the named features, and the :class:`Candidate` sentence;
- :mod:`~sciqa.answerer.model`: the fitted weights (``model.json``);
- :mod:`~sciqa.answerer.answerer`: :class:`ExtractiveAnswerer`, which puts them together.
"""

from sciqa.answerer.answerer import NOT_FOUND, ExtractiveAnswerer
from sciqa.answerer.features import Candidate
from sciqa.answerer.model import Model
from sciqa.answerer.question import Question, clean_question, is_question

__all__ = [
    "NOT_FOUND",
    "Candidate",
    "ExtractiveAnswerer",
    "Model",
    "Question",
    "clean_question",
    "is_question",
]
