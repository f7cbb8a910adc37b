"""Whose words a transcript's sentence is."""

from __future__ import annotations

from sciqa.speakers import another_speaker, speaker_at, speakers

INTERVIEW = (
    "Credit: a photographer\n"
    "Two professors talk about privacy.\n"
    "Michael Kearns: Fairness has no one definition. We keep looking.\n"
    "Roth: Differential privacy became a real technology. The census uses it.\n"
    "Q. What about privacy in practice? Yes.\n"
    "Kearns: Regulators will follow. Yes.\n"
)


def test_speakers_are_the_labels_that_open_several_paragraphs() -> None:
    assert speakers(INTERVIEW) == {"kearns"}  # Roth opens one; "Credit:" is no speaker
    assert speakers(INTERVIEW + "Roth: Indeed.\n") == {"kearns", "roth"}
    assert speakers("Note: no interview here.\nNote: still none.") == set()


def test_a_sentence_belongs_to_the_last_label_before_it() -> None:
    at = INTERVIEW.index("The census")
    assert speaker_at(INTERVIEW, at) == "roth"
    assert speaker_at(INTERVIEW, INTERVIEW.index("We keep")) == "kearns"
    assert speaker_at(INTERVIEW, INTERVIEW.index("Roth:")) == "roth"  # its own label
    assert speaker_at(INTERVIEW, 0) is None
    # The interviewer's question ends Roth's turn: its words are nobody's here.
    assert speaker_at(INTERVIEW, INTERVIEW.index("What about")) is None


def test_headings_with_a_colon_are_no_speakers() -> None:
    event = (
        "When: 3 May, in the evening.\nWhere: Town Hall.\n"
        "When: 5 June.\nWhere: the Central Library.\n"
    )
    assert speakers(event) == set()
    library = "the Central Library."
    assert another_speaker("When is the talk at the Central Library?", library, event) is None
    listing = "Location: Seattle.\nSalary: $100.\nUpdate: filled.\nLocation: Austin.\nUpdate: open."
    assert another_speaker("Salary in Seattle?", "open.", listing) is None


def test_another_speakers_words_do_not_answer_what_one_says() -> None:
    doc = INTERVIEW + "Roth: Indeed.\n"
    census = "The census uses it."
    assert another_speaker("What does Kearns say about privacy?", census, doc) == "roth"
    assert another_speaker("What does Roth say about privacy?", census, doc) is None
    assert another_speaker("What do Kearns and Roth say?", census, doc) is None
    assert another_speaker("What uses differential privacy?", census, doc) is None
    # A sentence said twice is read where its passage is: "Yes." in the question's turn.
    q_turn = "Q. What about privacy in practice? Yes.\n"
    assert another_speaker("What does Roth say?", "Yes.", doc, q_turn) is None
    assert (
        another_speaker("What does Roth say?", "Yes.", doc, "Kearns: Regulators will follow. Yes.")
        == "kearns"
    )
    # Outside a transcript nothing is anyone's words.
    assert another_speaker("What does Kearns say?", "It rains.", "It rains. Kearns: no.") is None
