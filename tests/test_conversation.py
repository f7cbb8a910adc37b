"""When a question is read with the one before it: only when it cannot stand alone."""

from __future__ import annotations

import pytest

from sciqa.conversation import is_follow_up, standalone_question

from .conftest import load_eval_script

POINTS_BACK = [
    "When was it launched?",
    "Who leads that program?",
    "What does he study?",
    "Where is it?",
    "What does it look for?",
    "And when was that?",
    "Why is that?",
    "How many people work there?",
    "Do they sponsor visas?",
    "What are the requirements for those roles?",
    "What is the salary for this position?",
    "How does Amazon select them?",  # "them" cannot be Amazon, the subject of its own clause
    "Which of these pay more?",
]
ELLIPSES = [
    "and in 2021?",
    "And in how many cities?",
    "what about Haifa?",
    "What about the internships in London?",
    "how about remote ones?",
    "why?",
    "when?",
    "Why not?",
    "How so?",
    "when exactly?",
    "in which year?",
    "Which year?",
    "Any in Haifa?",
    "how many are remote?",
    "Which one?",
    "anything else?",
    "tell me more",
    "and the interns?",
]
STANDS_ALONE = [
    "Is there a program for PhD students?",
    "tell me about fairness",
    "Tell me more about fairness",
    "who is Michael Kearns?",
    "any jobs in Seattle?",
    "Internships in London?",
    "What internships are there?",
    "Are there jobs in Israel?",
    "How many jobs are in Seattle?",
    "When did Amazon launch the Amazon Scholars program?",
    "Who is Michael Kearns and what does he study?",  # "he" has its name in the question
    "Does Amazon pay its Scholars?",
    "Does the Edinburgh machine learning scientist job offer visa sponsorship?",
    "Which teams say that fairness matters?",  # "that" joins a clause
    "Which jobs that are remote pay well?",
    "What was the name of the ship that sailed from Lisbon?",
    "Is it possible to apply without a PhD?",  # "it" points at nothing
    "How long does it take to hear back?",
    "What changed this year?",
    "Can those who apply choose a city?",
    "And who leads the Amazon Scholars program?",  # opens with "and", but whole
    "How much funding does the Fairness in AI program provide?",
    "How much did the harbour bridge cost to build?",  # the subject follows the auxiliary
    "How many did the firm hire in 2020?",
    "How much is the toll for a lorry on the bridge?",
    # A long question opened by a phrase has its verb without an auxiliary.
    "For the economics internship, roughly what share of past interns went on to full-time jobs?",
]


@pytest.mark.parametrize("question", POINTS_BACK)
def test_a_word_pointing_outside_the_question_makes_a_follow_up(question: str) -> None:
    assert is_follow_up(question)


@pytest.mark.parametrize("question", ELLIPSES)
def test_a_fragment_is_a_follow_up(question: str) -> None:
    assert is_follow_up(question)


@pytest.mark.parametrize("question", STANDS_ALONE)
def test_a_question_that_stands_alone_is_not_joined(question: str) -> None:
    assert not is_follow_up(question)


def test_only_a_follow_up_is_joined_to_the_last_user_question() -> None:
    history = [
        {"role": "user", "content": "Does the Edinburgh job offer visa sponsorship?"},
        {"role": "assistant", "content": "..."},
    ]
    assert standalone_question("tell me about fairness", history) == "tell me about fairness"
    assert standalone_question("what about Haifa?", history) == (
        "Does the Edinburgh job offer visa sponsorship? what about Haifa?"
    )
    assert standalone_question("what about Haifa?", []) == "what about Haifa?"


def test_the_rule_holds_its_score_on_the_conversations_set() -> None:
    """Measured when the rule was written: 26/26 follow-ups joined, 25/26 switches not."""
    script = load_eval_script("conversations")
    if not script.DEFAULT.exists():
        pytest.skip(f"{script.DEFAULT} is not there")
    s = script.score(script.DEFAULT)
    assert s.joined >= 0.9 * s.follow_ups, s.misses
    assert s.kept_apart >= 0.88 * s.switches, s.misses
