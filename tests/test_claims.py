"""The claim check (sciqa.claims): each answer sentence against the passages it cites.

Hand-made cases first (invented names, another subject's passage, numbers written differently,
paraphrases that must pass), then the gold reference answers, human paraphrases, against the
passages that hold their evidence.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sciqa import Pipeline, Settings, ties
from sciqa.claims import about, check, check_answer, named_around, names_given
from sciqa.echoes import restates
from sciqa.harness.evaluation import passage_has_evidence
from sciqa.harness.gold import load_gold
from sciqa.lexical import Lexicon

from .conftest import ROOT

# A collection of 100 chunks: "amazon" in most, "scholar" and "aaron" in some, the rest rare.
LEXICON = Lexicon(
    100,
    {"amazon": 60, "scholar": 15, "program": 20, "research": 30, "aaron": 11, "roth": 11,
     "kearn": 11, "learn": 40, "machine": 35, "university": 12, "job": 50, "list": 50},
)  # fmt: skip
ROTH = (
    "Amazon Scholars Michael Kearns and Aaron Roth discuss the ethics of machine learning\n\n"
    "Michael Kearns, left, and Aaron Roth, right, are the co-authors of The Ethical Algorithm: "
    "The Science of Socially Aware Algorithm Design. Kearns and Roth are leading researchers in "
    "machine learning, University of Pennsylvania computer science professors, and Amazon Scholars."
)
ECONOMIST = (
    "Job listing, US, CA, Sunnyvale\nUS, CA, Sunnyvale\nDrive operational efficiency and research "
    "excellence across the team. 40 hours / week, 8:00am-5:00pm, Salary Range: $201,300/year to "
    "$272,400/year. Amazon is a total compensation company."
)
SCHOLARS = (
    "A new paradigm for partnership between industry and academia\n\nWe launched the Scholars "
    "program in 2019, and today we host more than 250 Scholars and Visiting Academics in 24 "
    "cities. Having started with the first Hub at Columbia University, the program now spans "
    "five universities."
)


def test_an_invented_name_is_not_in_the_cited_passage() -> None:
    verdict = check(
        "Aaron Roth's favorite programming language is Python. [1]",
        [ROTH],
        lexicon=LEXICON,
    )
    assert not verdict.supported
    assert verdict.missing == ("programming", "Python")
    assert verdict.reason == 'not in the cited passage: "programming", "Python"'


def test_a_made_up_expansion_of_an_acronym_fails_on_its_words() -> None:
    passage = "In the summer of 2022, the Amazon SURE program held a series of Amazon Days."
    verdict = check("SURE stands for 'Sure Start' [1]", [passage], lexicon=LEXICON)
    assert verdict.missing == ("Start",)  # "SURE" is there
    # The right expansion, from a passage that does not spell it out: unsupported all the same.
    right = "SURE stands for Summer Undergraduate Research Experience [1]"
    assert check(right, [passage], lexicon=LEXICON).missing == ("Undergraduate", "Experience")
    spelled = passage.replace("SURE", "Summer Undergraduate Research Experience (SURE)")
    assert check(right, [spelled], lexicon=LEXICON).supported


def test_another_roles_listing_does_not_support_a_claim_about_the_asked_subject() -> None:
    # Asked: "What is the annual salary of an Amazon Scholar?"
    claim = "The annual salary of an Amazon Scholar is $201,300/year to $272,400/year. [1]"
    verdict = check(claim, [ECONOMIST], lexicon=LEXICON)
    assert verdict.missing == ("Scholar",)  # the numbers are there; the subject is not
    # Written in lower case, "scholar" is a word this collection uses often, and the question's
    # own lower-case words are not required of the passage: a small model echoes the
    # question's phrasing ("the project on defining fairness metrics"), which measured false
    # removals on the held-out set. Names and numbers carry the subject check.
    lower = check(claim.replace("Amazon Scholar", "amazon scholar"), [ECONOMIST],
                  lexicon=LEXICON)  # fmt: skip
    assert lower.supported
    # The same figures, said of what the listing is about, pass.
    right = "The Sunnyvale role pays $201,300/year to $272,400/year. [1]"
    assert check(right, [ECONOMIST]).supported


NSF_INTERVIEW = (
    "Amazon and NSF collaborate to accelerate fairness in AI research\n\nErwin Gianchandani, "
    "deputy assistant director at NSF, answered three questions about the program.\n"
    "We need systems that work for users from different socioeconomic, ethnic, age, cultural, "
    "and geographic groups, he said. The program has funded 34 teams since 2019."
)


def test_a_name_the_question_gave_may_stand_on_the_cited_chunks_document() -> None:
    asked = "Which user groups does Gianchandani say speech systems should work for?"
    chunk = "We need systems that work for users from different socioeconomic, ethnic, age, cultural, and geographic groups, he said."  # noqa: E501
    claim = (
        "Gianchandani says they should work for socioeconomic, ethnic and geographic groups. [1]"
    )
    alone = check(claim, [chunk], lexicon=LEXICON, asked=asked)
    assert alone.missing == ("Gianchandani",)  # the paragraph says "he"
    assert check(claim, [chunk], lexicon=LEXICON, asked=asked, around=[NSF_INTERVIEW]).supported
    # Only the question's names: one it did not give must be in the chunk itself ...
    erwin = claim.replace("Gianchandani", "Erwin Gianchandani")
    verdict = check(erwin, [chunk], lexicon=LEXICON, asked=asked, around=[NSF_INTERVIEW])
    assert verdict.missing == ("Erwin",)
    # ... and so must every number, though the document holds it.
    funded = "Gianchandani says 34 teams were funded. [1]"
    verdict = check(funded, [chunk], lexicon=LEXICON, asked=asked, around=[NSF_INTERVIEW])
    assert "34" in verdict.missing and "Gianchandani" not in verdict.missing


def test_a_numbered_name_the_question_gave_must_stand_in_the_chunk_itself() -> None:
    """ "HERON-2" names another thing than "HERON": a chunk about HERON does not answer for
    HERON-2 because the document names HERON-2 elsewhere."""
    asked = "What is the failure probability of HERON-2?"
    chunk = "HERON keeps the failure probability at one in a million."
    document = f"{chunk} HERON-2 followed in 2021."
    claim = "The failure probability of HERON-2 is one in a million. [1]"
    verdict = check(claim, [chunk], lexicon=LEXICON, asked=asked, around=[document])
    assert verdict.missing == ("HERON-2",)
    assert check(claim, [document], lexicon=LEXICON, asked=asked).supported


def test_an_answer_from_a_document_about_another_subject_is_unsupported() -> None:
    # "40 hours per week" is in the listing, and the sentence names no one: nothing in it is
    # missing from the passage, but the listing is not about Scholars.
    asked = "How many hours per week do Amazon Scholars typically work at Amazon?"
    [(_, verdict)] = check_answer(
        "40 hours per week [1]", {1: ECONOMIST}, lexicon=LEXICON, asked=asked,
        around={1: ECONOMIST},
    )  # fmt: skip
    assert not verdict.supported and verdict.missing == ("Scholars",)
    assert "about something else" in verdict.reason
    # "Amazon" is in most chunks of this collection: it says nothing about the subject.
    assert about("How many hours do Amazon staff work?", [ECONOMIST], LEXICON).supported
    # The Scholars page is about them; a misspelt name is read as the collection spells it.
    assert about(asked, [SCHOLARS], LEXICON).supported
    assert about(asked.replace("Scholars", "Scholers"), [SCHOLARS], Lexicon(
        100, {"scholar": 15, "amazon": 60}, {"scholar": "Scholars"})).supported  # fmt: skip
    # A question of two parts is answered from two documents: together they name both.
    two = "Is the Sunnyvale role or the Kearns and Roth book older?"
    assert about(two, [ECONOMIST, ROTH], LEXICON).supported
    assert about(two, [ECONOMIST], LEXICON).missing == ("Kearns", "Roth")
    # A name of the same family as one the document uses is that one; another name is not.
    moss = ["The moss was collected in Antarctica in November 1983."]
    assert about("When was the Antarctic moss collected?", moss).supported
    assert not about("When was the Arctic moss collected?", moss).supported
    assert not about("What is the population of Indiana?", ["India has many people."]).supported


def test_the_asked_subject_must_be_in_the_cited_document_not_only_the_collection() -> None:
    # Asked about a Scholar's salary; the economist's listing never says "Scholar", so its
    # salary cannot answer, whatever other documents of the collection say about Scholars.
    asked = "What is the annual salary of an Amazon Scholar?"
    claim = "The annual salary of an Amazon Scholar is $201,300/year to $272,400/year. [1]"
    listing = ECONOMIST + "\nBasic qualifications: a PhD in economics."
    verdict = check(claim, [ECONOMIST], lexicon=LEXICON, asked=asked, around=[listing])
    assert verdict.missing == ("Scholar",)
    cited = {1: ECONOMIST}
    [(_, with_docs)] = check_answer(claim, cited, lexicon=LEXICON, asked=asked, around={1: listing})
    assert with_docs.missing == ("Scholar",)
    # Cited beside the Scholars page, the salary is still not the Scholars' (clause by clause,
    # each passage with its own document).
    two = "Amazon Scholars [2] earn $201,300/year [1]."
    docs = {1: listing, 2: SCHOLARS}
    [(_, verdict)] = check_answer(two, {1: ECONOMIST, 2: SCHOLARS}, asked=asked, around=docs)
    assert not verdict.supported


@pytest.mark.parametrize(
    ("sentence", "passage", "missing"),
    [
        ("It pays 201300 dollars a year.", ECONOMIST, ()),
        ("It pays from $201.3k a year.", ECONOMIST, ()),
        ("It pays $210,300 a year.", ECONOMIST, ("$210,300",)),
        ("Grants total $20,000,000.", "Grants total $20 million.", ()),
        ("Grants total $20 million.", "Grants total $20,000,000.", ()),
        ("Grants total $20 million.", "Grants total $20 billion.", ("$20 million",)),
        ("Accuracy rose 40 percent.", "Accuracy rose 40% in a year.", ()),
        ("Accuracy rose 4%.", "Accuracy rose 40% in a year.", ("4%",)),
        ("The program spans 5 universities.", SCHOLARS, ()),
        ("The program spans six universities.", SCHOLARS, ("six",)),
        ("It hosts 250 Scholars in twenty-four cities.", SCHOLARS, ()),
        ("It opened on 2022-06-01.", "It opened on June 1, 2022.", ()),
        ("It opened on 2022-07-01.", "It opened on June 1, 2022.", ("July",)),
        ("The program began in 2020.", SCHOLARS, ("2020",)),
        ("It bought 34% in the early 1970s.", "In 1972 it bought a 34 percent stake.", ("1970",)),
        ("HERON-2 saves 40 percent.", "HERON-2 saved 40% of the memory.", ()),
        ("HERON-3 saves 40 percent.", "HERON-2 saved 40% of the memory.", ("HERON-3",)),
        ("It shipped in 2020.", "It shipped in mid-2020.", ()),
    ],
)
def test_numbers_match_as_numbers(sentence: str, passage: str, missing: tuple[str, ...]) -> None:
    assert check(sentence + " [1]", [passage], lexicon=LEXICON).missing == missing


@pytest.mark.parametrize(
    ("question", "sentence", "passage"),
    [
        ("When did Amazon launch the Scholars program?",
         "Amazon began the Scholars program in 2019, and it was launched with Visiting Academics.",
         SCHOLARS),
        ("Who wrote The Ethical Algorithm?",
         "The Ethical Algorithm was written by Michael Kearns and Aaron Roth, who are professors "
         "at the University of Pennsylvania.", ROTH),
        ("What do Kearns and Roth research?",
         "According to passage 1, both are researchers in ML and Amazon Scholars.", ROTH),
        ("Where is the program?",
         "It is located in 24 cities, and its first Hub was at Columbia University.", SCHOLARS),
        ("How are routes planned?",
         "The team is optimizing delivery routes with simulations it calls digital twins.",
         "Route optimization uses a simulation (a digital twin) of each delivery station."),
        ("What does the article say about Roth?",
         "The article mentions that Roth co-authored a book on socially aware algorithm design.",
         ROTH),
    ],
)  # fmt: skip
def test_supported_paraphrases_pass(question: str, sentence: str, passage: str) -> None:
    verdict = check(sentence + " [1]", [passage], lexicon=LEXICON)
    assert verdict.supported, verdict.reason


@pytest.mark.parametrize(
    ("sentence", "passage", "missing"),
    [
        ("Merrowby is 38 km from the sea.", "Merrowby lies 38 kilometres from the sea.", ()),
        ("The gust reached 203 km/h.", "The strongest gust was 203 kilometres per hour.", ()),
        ("The gust reached 203 mph.", "The strongest gust was 203 kilometres per hour.", ("mph",)),
        ("Loam 1's battery lasted 6 months.", "Loam 1 lasted 6 months on its batteries.", ()),
        ("It is led by Min Zhang.", "Wei Zhang leads it, a minute a day.", ("Min",)),
    ],
)
def test_a_units_abbreviation_is_held_by_its_word(
    sentence: str, passage: str, missing: tuple[str, ...]
) -> None:
    """ "km" claims what "kilometres" does, and a lone letter ("s" of "1's") claims nothing."""
    assert check(sentence + " [1]", [passage], lexicon=LEXICON).missing == missing


LONGER = "How much longer is the Calder dam than the one at Harwick?"


@pytest.mark.parametrize(
    ("question", "sentence", "missing"),
    [
        (LONGER, "It is 210 metres longer.", ()),
        (LONGER, "It is 430 metres longer.", ("430",)),
        ("By how much did the workforce shrink?", "It fell by 210 people.", ()),
        ("How many metres did the level drop in the drought?", "It dropped 210 metres.", ()),
        ("How long is the Harwick dam?", "It is 210 metres long.", ("210",)),
    ],
)  # fmt: skip
def test_a_comparison_may_be_answered_with_a_difference_of_the_passages_numbers(
    question: str, sentence: str, missing: tuple[str, ...]
) -> None:
    """Only a question that compares may be answered with a number the passage does not write
    but its numbers give: 620 - 410."""
    passage = "The Calder dam is 620 metres long; the dam at Harwick is 410 metres."
    assert check(sentence + " [1]", [passage], lexicon=LEXICON, asked=question).missing == missing


def test_sentences_without_a_marker_are_checked_against_every_cited_passage() -> None:
    text = "Here is what I found. The program started in 2019 [1]. It moved to Boston in 2021."
    verdicts = check_answer(text, {1: SCHOLARS}, lexicon=LEXICON)
    assert [s for s, _ in verdicts] == [
        "Here is what I found.",
        "The program started in 2019 [1].",
        "It moved to Boston in 2021.",
    ]
    assert [v.supported for _, v in verdicts] == [True, True, False]
    assert verdicts[2][1].missing == ("2021", "Boston")
    # An answer that cites nothing supports no claim, but connective text has none to support.
    nothing = check_answer("Here is what I found. It started in 2019.", {}, lexicon=LEXICON)
    assert [(v.supported, v.reason) for _, v in nothing] == [
        (True, ""),
        (False, "cites no passage"),
    ]


def test_a_sentence_citing_several_passages_is_held_clause_by_clause() -> None:
    # Each clause is said by one passage: the sentence stands.
    text = "Kearns and Roth teach at Pennsylvania, and the Scholars program began in 2019 [1][2]."
    verdicts = check_answer(text, {1: ROTH, 2: SCHOLARS}, lexicon=LEXICON)
    assert verdicts[0][1].supported, verdicts[0][1].reason
    # Two passages cannot make one claim together: nothing says Kearns and Roth have been
    # Scholars since 2019, nor that an Amazon Scholar earns the economist listing's salary.
    made_up = "Kearns and Roth, Amazon Scholars since 2019, teach at Pennsylvania [1][2]."
    (verdict,) = [v for _, v in check_answer(made_up, {1: ROTH, 2: SCHOLARS}, lexicon=LEXICON)]
    assert (verdict.supported, verdict.reason) == (False, "no one cited passage says it all")
    salary = "An Amazon Scholar earns $201,300/year [1][2]."
    (verdict,) = [v for _, v in check_answer(salary, {1: ECONOMIST, 2: SCHOLARS}, lexicon=LEXICON)]
    assert not verdict.supported
    alone = check_answer(text.replace("[1][2]", "[1]"), {1: ROTH, 2: SCHOLARS}, lexicon=LEXICON)
    assert alone[0][1].reason == 'not in the cited passage: "2019"'


def test_the_questions_own_lower_case_words_are_not_claims_but_its_names_are() -> None:
    question = "Which use case is studied by the funded project on defining fairness metrics?"
    sentence = "The project on defining fairness metrics studies recidivism [1]."
    passage = "Researchers building fairness metrics for machine learning study recidivism."
    assert not check(sentence, [passage], lexicon=LEXICON).supported  # "defining" is rare
    assert check(sentence, [passage], lexicon=LEXICON, asked=question).supported
    # A name the question gives must still be in the passage: it is the answer's subject.
    question = "What is the salary of an Amazon Scholar?"
    claim = "The salary of an Amazon Scholar is $201,300/year [1]."
    assert not check(claim, [ECONOMIST], lexicon=LEXICON, asked=question).supported


def test_the_collection_decides_which_words_are_rare() -> None:
    claim = "Kearns teaches cryptography [1]."
    assert check(claim, [ROTH]).missing == ("cryptography",)  # no lexicon: every word is rare
    common = Lexicon(100, {"cryptography": 40})
    assert check(claim, [ROTH], lexicon=common).supported  # in 40% of this collection's chunks


# -- the gold reference answers, written by people, against their evidence passages ----------


def _gold_cases(built_home: Path) -> tuple[Lexicon, list[tuple[str, str, list[str], list[str]]]]:
    """(question, reference answer, evidence passages, passages of other files) per question."""
    from sciqa.claims import evidence

    store = Pipeline(Settings(home=built_home, progress=False)).store
    passages = list(store.passages(store.collection.get(include=[])["ids"]).values())
    passages.sort(key=lambda p: p.chunk_id)
    cases = []
    for name in ("gold.jsonl", "heldout.jsonl"):
        for item in load_gold(ROOT / "evals" / name):
            held = [evidence(p) for p in passages if passage_has_evidence(item, p)]
            if item.answerable and held:
                other = [evidence(p) for p in passages if p.source not in item.sources]
                cases.append((item.question, item.answer, held, other))
    return store.lexicon, cases


def test_gold_reference_answers_are_rarely_removed_and_other_files_rarely_support_them(
    built_home: Path,
) -> None:
    lexicon, cases = _gold_cases(built_home)
    assert len(cases) > 100
    removed = [
        (answer, v.reason)
        for question, answer, held, _ in cases
        if not (v := check(answer, held, lexicon=lexicon)).supported
    ]
    print(f"\n{len(removed)} of {len(cases)} reference answers removed:", *removed, sep="\n")
    # Measured: 6 of 117. Five name what their passage does not ("California" beside a
    # passage's "Pasadena, CA", an acronym it never uses, a first name it leaves out); one
    # paraphrases ("collaborated").
    assert len(removed) <= 0.06 * len(cases)
    rng = random.Random(42)
    passed = [
        answer
        for question, answer, _, other in cases
        if check(answer, [rng.choice(other)], lexicon=lexicon).supported
    ]
    print(f"{len(passed)} of {len(cases)} supported by a random passage of another file")
    # Measured: 4, with nothing to check in them ("It starts at the zip code level.").
    assert len(passed) <= 0.05 * len(cases)


@pytest.mark.parametrize(
    ("sentence", "question", "echo"),
    [
        ("ICLR 2022 was held in this city: [1]", "In which city was ICLR 2022 held?", True),
        (
            "The AMZL team's model predicted Amazon would need 2020 vans. [1]",
            "How many vans did the AMZL team's model predict Amazon would need for 2020?",
            True,
        ),
        ("There are 250 Scholars based in Tel Aviv.", "How many Scholars are in Tel Aviv?", False),
        ("Amazon launched it in 2019 [1].", "When did Amazon launch it?", False),
        ("Yes, Amazon launched it in 2019 [1].", "Did Amazon launch it in 2019?", False),
        ("Amazon did not launch it in 2019 [1].", "Did Amazon launch it in 2019?", False),
        ("Amazon never launched it in 2019.", "Did Amazon launch it in 2019?", False),
        ("The program was launched by Amazon.", "Who launched the program?", False),
    ],
)
def test_a_sentence_restates_the_question_when_it_adds_no_word_or_number(
    sentence: str, question: str, echo: bool
) -> None:
    assert restates(sentence, question) is echo


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("When did Amazon launch the Scholars program?", ["Amazon", "Scholars"]),
        ("Which GPU did the MOI team use? And Where is Redmond?", ["GPU", "MOI", "Redmond"]),
        ("wich univercity is Natarajan Gotam a profesor at?", ["Natarajan", "Gotam"]),
        ("If I'm a professor at Penn, what can I do?", ["Penn"]),
        ("What did We’ve Got Mail and Kearns's book say?", ["Got", "Mail", "Kearns's"]),
    ],
)
def test_the_names_a_question_gives_leave_out_the_word_opening_it(
    question: str, names: list[str]
) -> None:
    assert names_given(question) == names


def test_the_model_is_told_only_of_names_the_question_gives_that_stand_around_the_passage() -> None:
    """Before, the claim check's note to the model said the document "also names When"."""
    asked = "When did Gianchandani join the NSF?"
    cited = ["He joined the foundation in 2012."]
    around = ["Erwin Gianchandani leads CISE at the NSF. He joined the foundation in 2012."]
    assert named_around(asked, cited, around) == ["Gianchandani", "NSF"]


@pytest.mark.parametrize(
    ("question", "claim", "passage", "tied"),
    [
        # the value stands with the year asked about, in its sentence or the two before
        ("What did it make in 2011?", "4,100 tonnes [1]", "In 2009 it made 4,100 tonnes.", False),
        ("What did it make in 2009?", "4,100 tonnes [1]", "In 2009 it made 4,100 tonnes.", True),
        (
            "What did it make in 2009?",
            "4,100 tonnes.",
            "It was 2009. Rain fell. It made 4,100.",
            True,
        ),
        # a date is a birth date only where the passage says so
        ("When was Merrow born?", "He was born in 1821.", "Merrow sighted it in 1821.", False),
        ("When was Merrow born?", "He was born in 1791.", "Merrow (1791-1850) sighted it.", True),
        # the event asked about, not one the claim mentions on the way
        (
            "When did Vasić join?",
            "Born in Zagreb, she joined in 2011.",
            "She joined in 2011.",
            True,
        ),
        # a comparison: the year the claim repeats, not every year asked
        (
            "How did 2009 compare with 2011?",
            "In 2009 it made 4,100 t.",
            "In 2009 it made 4,100 t.",
            True,
        ),
        # a claim that adds no number, or whose number the passage writes in words: not judged
        ("Who sighted it in 1821?", "Josiah Merrow did.", "Merrow sighted it in 1821.", True),
        ("How many were named?", "10 were named.", "Ten recipients were named.", True),
    ],
)
def test_a_claims_value_must_stand_with_what_the_question_ties_it_to(
    question: str, claim: str, passage: str, tied: bool
) -> None:
    assert ties.tied(question, claim, [passage]) is tied


@pytest.mark.parametrize(
    ("claim", "passage", "alike"),
    [
        # before: every word stood in the passage, so "214 appearances" passed
        (
            "Lorraine Tate made 214 appearances between 1976 and 1991. [1]",
            "Lorraine Tate, who scored 214 goals between 1976 and 1991, still the club record.",
            False,
        ),
        ("Tate scored 214 goals. [1]", "Tate scored 214 goals in all competitions.", True),
        # what it counts may come a few words on
        ("It carried 910,000 passengers.", "It carried 910,000 of its passengers.", True),
        ("It read 1,000 characters a second.", "It ran 1,000 instructions per second.", False),
        # units are values, spelt more than one way: not judged here
        ("It is 412 meters long. [1]", "The bridge is 412 metres long.", True),
        # a number the passage does not write in digits is the lexical check's
        ("10 were named.", "Ten recipients were named.", True),
        # a year counts nothing
        ("In 1983 Ashby Marsh won the cup.", "The club won the cup in 1983, beating Selby.", True),
    ],
)
def test_a_claims_number_must_count_what_the_passage_counts(
    claim: str, passage: str, alike: bool
) -> None:
    assert ties.counts_alike("How many?", claim, [passage]) is alike


def test_a_count_the_question_gives_is_not_asked_of_the_passage() -> None:
    question = "Did the 30 new stations open in 2003?"
    passage = ["Of those 30, eight opened in 2003."]
    assert ties.counts_alike(question, "The 30 stations opened in 2003.", passage)
    assert not ties.counts_alike("Did they open?", "The 30 stations opened in 2003.", passage)
