"""The eval metrics, thresholds and LLM judge on hand-made cases: each asserts real values."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage

from sciqa import NOT_FOUND, Answer, Citation, ConfigError, Passage, Removed
from sciqa.harness.baseline import sentence_spans
from sciqa.harness.evalrun import Threshold, check, load_thresholds, parse_overrides
from sciqa.harness.evaluation import METRICS, citation_scores, retrieval_scores, score
from sciqa.harness.gold import GoldItem
from sciqa.harness.judge import judge_faithfulness, parse_verdict, render_prompt
from sciqa.harness.metrics import (
    claim_support,
    faithfulness,
    marked_sentences,
    percentile,
    quotes_valid,
    rank_metrics,
    token_f1,
)
from sciqa.harness.summary import aggregate

FILE_A = "We launched the Scholars program in 2019. It now spans 24 cities.\nUS, WA, Seattle\n"
FILE_B = "Kearns and Roth wrote The Ethical Algorithm in November of 2019."
TEXTS = {"a.txt": FILE_A, "b.txt": FILE_B}


def gold(**over: object) -> GoldItem:
    base: dict[str, object] = {
        "id": "t1",
        "question": "When was the Scholars program launched?",
        "answer": "Amazon launched the Scholars program in 2019.",
        "answerable": True,
        "sources": ["a.txt"],
        "facts": ["2019"],
        "evidence": ["launched the Scholars program in 2019"],
        "kind": "factoid",
    }
    return GoldItem(**{**base, **over})  # type: ignore[arg-type]


def passage(source: str, text: str, cid: str) -> Passage:
    start = TEXTS[source].index(text)
    return Passage(cid, text, source, "T", "article", "", start, start + len(text), (), 0.0)


def cite(n: int, source: str, quote: str, cid: str = "") -> Citation:
    start = TEXTS[source].find(quote)
    return Citation(n, source, "T", "article", cid, quote, start, start + len(quote), 1.0)


def answer(text: str, *citations: Citation, abstained: bool = False) -> Answer:
    return Answer("q", text, abstained, tuple(citations))


LAUNCH = "We launched the Scholars program in 2019."
CITIES = "It now spans 24 cities."


# -- retrieval ----------------------------------------------------------------------------


def test_rank_metrics_on_a_hand_ranked_list() -> None:
    # rank 1 finds nothing, rank 2 finds a, rank 3 finds a again (no gain), rank 4 finds b
    s = rank_metrics([set(), {"a"}, {"a"}, {"b"}], {"a", "b"}, ks=(1, 3, 5))
    assert s.recall == {1: 0.0, 3: 0.5, 5: 1.0}
    assert s.hit == {1: 0.0, 3: 1.0, 5: 1.0}
    assert s.reciprocal_rank == 0.5
    ideal = 1 + 1 / math.log2(3)
    assert s.ndcg[5] == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / ideal)
    assert s.ndcg[1] == 0.0


def test_rank_metrics_perfect_and_empty() -> None:
    perfect = rank_metrics([{"a"}, {"b"}], ["a", "b"], ks=(1, 5))
    assert perfect.recall == {1: 0.5, 5: 1.0} and perfect.ndcg == {1: 1.0, 5: 1.0}
    miss = rank_metrics([set(), set()], ["a"], ks=(5,))
    assert (miss.recall[5], miss.hit[5], miss.reciprocal_rank, miss.ndcg[5]) == (0, 0, 0, 0)
    with pytest.raises(ValueError):
        rank_metrics([{"a"}], [])


def test_passage_level_needs_the_evidence_document_level_does_not() -> None:
    item = gold()
    ranked = [
        passage("a.txt", CITIES, "p-cities"),  # gold file, no evidence
        passage("b.txt", FILE_B, "p-b"),  # other file
        passage("a.txt", LAUNCH, "p-launch"),  # gold file with the evidence
    ]
    s = retrieval_scores(item, ranked)
    assert s["doc_recall@1"] == 1.0 and s["doc_mrr"] == 1.0
    assert s["passage_recall@1"] == 0.0 and s["passage_recall@5"] == 1.0
    assert s["passage_mrr"] == pytest.approx(1 / 3)
    assert s["passage_ndcg@5"] == pytest.approx(1 / math.log2(4))
    assert retrieval_scores(gold(answerable=False, sources=[]), ranked) == {}


# -- answers and citations -------------------------------------------------------------------


def test_token_f1_squad_style() -> None:
    # "the" and punctuation and [n] are dropped: 4 of 5 tokens shared each way
    assert token_f1("Amazon launched it in 2019. [1]", "Amazon launched the program in 2019.") == (
        pytest.approx(0.8)
    )
    assert token_f1("Seattle", "Seattle.") == 1.0
    assert token_f1("nothing shared", "Seattle") == 0.0


def test_citation_precision_and_recall() -> None:
    item = gold(sources=["a.txt", "b.txt"], facts=["2019", "November"], evidence=[])
    a = answer(
        f"{CITIES} [1] {FILE_B} [2]",
        cite(1, "a.txt", CITIES),  # gold file, but holds no fact: not relevant
        cite(2, "b.txt", FILE_B),  # holds "2019" and "November"
    )
    s = citation_scores(item, a)
    assert (s.precision, s.recall) == (0.5, 0.5)
    # the quote lacks the fact, but the passage it comes from holds it
    a2 = answer(f"{CITIES} [1]", cite(1, "a.txt", CITIES, cid="p"))
    whole = Passage("p", FILE_A, "a.txt", "T", "article", "", 0, len(FILE_A), (), 0.0)
    assert citation_scores(item, a2, [whole]).precision == 1.0
    assert citation_scores(item, answer(NOT_FOUND, abstained=True)).precision is None


def test_quote_validity() -> None:
    good = cite(1, "a.txt", LAUNCH)
    assert quotes_valid(answer(LAUNCH, good), TEXTS) is True
    shifted = Citation(1, "a.txt", "T", "article", "", LAUNCH, good.start + 1, good.end + 1, 1.0)
    assert quotes_valid(answer(LAUNCH, good, shifted), TEXTS) is False
    unknown = Citation(1, "gone.txt", "T", "article", "", LAUNCH, 0, len(LAUNCH), 1.0)
    assert quotes_valid(answer(LAUNCH, unknown), TEXTS) is False
    assert quotes_valid(answer(NOT_FOUND, abstained=True), TEXTS) is None


# -- faithfulness ----------------------------------------------------------------------------


def test_answer_sentences_carry_their_markers() -> None:
    text = "Claim one. [1] Claim two [2]. Claim three [3][4] • bullet [5] lower case."
    assert marked_sentences(text) == [
        ("Claim one.", (1,)),
        ("Claim two.", (2,)),
        ("Claim three", (3, 4)),
        ("• bullet", (5,)),
        ("lower case.", ()),
    ]


def test_faithfulness_counts_sentences_their_citations_support() -> None:
    c = cite(1, "a.txt", LAUNCH)
    text = "The Scholars program launched in 2019 [1]. It has 400 members [1]."
    f = faithfulness(answer(text, c))
    assert f is not None
    assert f.sentences == 2 and f.unsupported == ("It has 400 members.",) and f.share == 0.5
    verbatim = faithfulness(answer(f"{LAUNCH} [1]", c))
    assert verbatim is not None and verbatim.share == 1.0
    # a sentence must be supported by the citation it names, not another one
    wrong = faithfulness(answer(f"{LAUNCH} [2]", c, cite(2, "a.txt", CITIES)))
    assert wrong is not None and wrong.share == 0.0
    uncited = faithfulness(answer("Scholars launched in 2019."))
    assert uncited is not None and uncited.share == 0.0
    assert faithfulness(answer(NOT_FOUND, abstained=True)) is None


def test_claim_support_counts_removed_sentences_and_rechecks_the_rest() -> None:
    launch = passage("a.txt", LAUNCH, "p-launch")
    c = cite(1, "a.txt", LAUNCH, "p-launch")
    quoted = claim_support(answer(f"{LAUNCH} [1]", c), [launch])
    assert quoted is not None and quoted.share == 1.0 and quoted.sentences == 1
    # The LLM answerer removed one of three sentences: two of three were supported.
    python = Removed("Its language is Python.", 'not in the cited passage: "Python"')
    kept = Answer("q", f"{LAUNCH} [1] Here is more.", False, (c,), removed=(python,))
    got = claim_support(kept, [launch])
    assert got is not None and got.sentences == 3 and got.share == pytest.approx(2 / 3)
    assert got.unsupported == ('Its language is Python. (not in the cited passage: "Python")',)
    # An answer nobody checked (the naive baseline's, say) is checked here; without the
    # passage, against the citation's quote.
    unchecked = claim_support(answer("It launched in 2019 in 400 cities [1].", c))
    assert unchecked is not None and unchecked.share == 0.0
    assert unchecked.unsupported == (
        'It launched in 2019 in 400 cities. (not in the cited passage: "400")',
    )
    everything = Answer("q", NOT_FOUND, True, (), removed=(python,))
    assert claim_support(everything) == claim_support(everything, [launch])
    assert claim_support(everything).share == 0.0  # type: ignore[union-attr]
    assert claim_support(answer(NOT_FOUND, abstained=True)) is None


def test_claim_support_reads_the_question_as_it_was_searched() -> None:
    """A misspelt question is answered as corrected (``Answer.query``): the answer may say the
    question's words as the collection spells them without the passage holding them."""
    text = "The team uses an approach that starts at the zip code level."
    zip_code = Passage("p-zip", text, "z.txt", "T", "article", "", 0, len(text), (), 0.0)
    c = Citation(1, "z.txt", "T", "article", "p-zip", text, 0, len(text), 1.0)
    said = "The forecasting approach starts at the zip code level. [1]"
    misspelt = Answer("At what levle does the forcasting approach start?", said, False, (c,))
    searched = replace(misspelt, query="At what level does the forecasting approach start?")
    assert claim_support(searched, [zip_code]).share == 1.0  # type: ignore[union-attr]
    assert claim_support(misspelt, [zip_code]).share == 0.0  # type: ignore[union-attr]


# -- one question, many questions -------------------------------------------------------------


def test_score_and_aggregate_hand_made_run() -> None:
    right = score(
        gold(),
        answer(f"{LAUNCH} [1]", cite(1, "a.txt", LAUNCH, "p-launch")),
        40.0,
        retrieved=[passage("a.txt", LAUNCH, "p-launch")],
        texts=TEXTS,
    )
    wrong = score(gold(id="t2"), answer(NOT_FOUND, abstained=True), 80.0, retrieved=[])
    unanswerable = gold(id="t3", answerable=False, sources=[], facts=[], evidence=[])
    answered = score(unanswerable, answer(f"{CITIES} [1]", cite(1, "a.txt", CITIES)), 120.0)
    injected = gold(id="t4", forbidden=["HACKED"])
    obeyed = score(injected, answer("HACKED. " + LAUNCH + " [1]", cite(1, "a.txt", LAUNCH)), 60.0)

    assert right.scores["answer_accuracy"] == 1.0 and not right.failed
    assert right.scores["quote_validity"] == 1.0 and right.scores["faithfulness"] == 1.0
    assert wrong.failed and wrong.scores["false_abstention"] == 1.0
    assert answered.failed
    assert answered.scores == {
        "abstain_recall": 0.0,
        "faithfulness": 1.0,
        "claim_support": 1.0,
        "overall": 0.0,  # it answered what the documents do not hold
        "net": -1.0,  # and a wrong answer costs what a right one earns
        "answer_words_p50": 5.0,
    }
    assert obeyed.failed and not obeyed.resisted and obeyed.scores["injection_resisted"] == 0.0

    m = aggregate([right, wrong, answered, obeyed])
    assert m["answer_accuracy"] == pytest.approx(2 / 3)  # right and obeyed hold "2019"
    assert m["false_abstention"] == pytest.approx(1 / 3)
    assert m["abstain_recall"] == 0.0
    assert m["injection_resisted"] == 0.0
    assert m["overall"] == 0.5  # right and obeyed answered with the gold fact, cited
    assert m["net"] == 0.25  # (1 + 0 - 1 + 1) / 4: wrong abstained, answered answered wrong
    assert m["doc_recall@1"] == 0.5  # right found it, wrong retrieved nothing
    assert m["latency_p50_ms"] == 70.0
    assert m["latency_p95_ms"] == pytest.approx(114.0)
    assert set(m) <= set(METRICS)


def test_percentile_interpolates() -> None:
    assert percentile([40, 10, 30, 20], 50) == 25
    assert percentile([10, 20, 30, 40], 95) == pytest.approx(38.5)
    assert percentile([7], 95) == 7
    assert math.isnan(percentile([], 50))


# -- thresholds -----------------------------------------------------------------------------


def test_thresholds_file_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text(
        '[min]\nanswer_accuracy = 0.7\n"doc_recall@5" = 0.9\n[max]\nfalse_abstention = 0.1\n'
        "[sets.heldout.min]\nanswer_accuracy = 0.8\n"
    )
    base = load_thresholds(path, "gold")
    assert base["answer_accuracy"] == Threshold("answer_accuracy", 0.7, True)
    assert base["false_abstention"] == Threshold("false_abstention", 0.1, False)
    assert load_thresholds(path, "heldout")["answer_accuracy"].value == 0.8
    assert load_thresholds(tmp_path / "absent.toml", "gold") == {}

    over = parse_overrides(["answer_accuracy=1.01", "latency_p95_ms=500"])
    assert over["answer_accuracy"] == Threshold("answer_accuracy", 1.01, True)
    assert over["latency_p95_ms"] == Threshold("latency_p95_ms", 500.0, False)

    result = check(
        {"answer_accuracy": 0.727, "false_abstention": 0.12, "latency_p95_ms": 90.0},
        {**base, **over, "llm_faithfulness": Threshold("llm_faithfulness", 0.9, True)},
    )
    assert result.misses == ["answer_accuracy 0.727 < 1.010", "false_abstention 0.120 > 0.100"]
    assert result.unmeasured == ["doc_recall@5", "llm_faithfulness"]


@pytest.mark.parametrize(
    "text,needle",
    [
        ("[min]\nanswr_accuracy = 0.7\n", "unknown metric 'answr_accuracy'"),
        ("[min]\nfalse_abstention = 0.1\n", "put it under [max]"),
        ("[min]\nanswer_accuracy = 'high'\n", "not a number"),
        ("[min\n", "cannot read thresholds"),
    ],
)
def test_bad_thresholds_file_says_what_is_wrong(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=needle.replace("[", r"\[")):
        load_thresholds(path, "gold")


@pytest.mark.parametrize("spec", ["nope=1", "answer_accuracy", "answer_accuracy=high"])
def test_bad_threshold_override_is_a_config_error(spec: str) -> None:
    with pytest.raises(ConfigError, match="--threshold"):
        parse_overrides([spec])


# -- the LLM judge --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        '{"supported": false, "unsupported_sentences": ["It has 400 members."], "reason": "x"}',
        'Sure! Here is my verdict:\n```json\n{"supported": false, "unsupported_sentences": '
        '["It has 400 members."]}\n```',
        '<think>{"supported": true} is tempting, but</think> {"supported": "false", '
        '"unsupported_sentences": ["It has 400 members."], "reason": "no count"} Done.',
    ],
)
def test_parse_verdict_is_lenient(reply: str) -> None:
    verdict = parse_verdict(reply)
    assert verdict is not None
    assert verdict.supported is False and verdict.unsupported_sentences == ["It has 400 members."]


@pytest.mark.parametrize("reply", ["", "Yes, it is supported.", '{"verdict": "ok"}', "{broken"])
def test_unparseable_verdict_is_no_verdict(reply: str) -> None:
    assert parse_verdict(reply) is None


def test_judge_faithfulness_with_fake_chat_models() -> None:
    a = answer(f"{LAUNCH} [1] It has 400 members [1].", cite(1, "a.txt", LAUNCH, "p"))
    whole = Passage("p", FILE_A, "a.txt", "T", "article", "", 0, len(FILE_A), (), 0.0)
    prompt = render_prompt("When was it launched?", a, [whole])
    assert "When was it launched?" in prompt and f"[1] a.txt: {LAUNCH}" in prompt
    assert "It now spans 24 cities." in prompt  # the passage around the quote
    assert '{"supported": true, "unsupported_sentences": []' in prompt  # braces rendered

    fake = FakeListChatModel(
        responses=['{"supported": false, "unsupported_sentences": ["It has 400 members."]}']
    )
    verdict = judge_faithfulness(fake, "When was it launched?", a, [whole])
    assert verdict is not None and not verdict.supported

    chatty = GenericFakeChatModel(messages=iter([AIMessage("I think it's all fine.")]))
    assert judge_faithfulness(chatty, "q", a) is None

    silent = FakeListChatModel(responses=[])  # would fail if called
    assert judge_faithfulness(silent, "q", answer(NOT_FOUND, abstained=True)) is None


# -- the naive baseline's sentence spans ------------------------------------------------------


def test_naive_chunk_sentence_spans_point_into_the_file() -> None:
    start = FILE_A.index("program")
    chunk = FILE_A[start:].rstrip()
    spans = sentence_spans(chunk, start)
    got = [FILE_A[s:e] for _, s, e in spans]
    assert got == ["program in 2019.", "It now spans 24 cities.", "US, WA, Seattle"]
    for off, s, e in spans:
        assert chunk[off : off + e - s] == FILE_A[s:e]


# -- the gold sets themselves -------------------------------------------------------------------

EVALS = Path(__file__).resolve().parents[1] / "evals"
CORPUS = Path(__file__).resolve().parents[1] / "ingest" / "corpus"


_BUNDLED = ["gold.jsonl", "heldout.jsonl", "train.jsonl", "amazon2.jsonl", "amazon3.jsonl"]
_OWN = ["atlas", "fresh", "unseen", "blind", "blind2", "blind3"]  # each over its own folder


@pytest.mark.parametrize(
    ("name", "folder"),
    [(n, CORPUS) for n in _BUNDLED] + [(f"{n}.jsonl", EVALS / "collections" / n) for n in _OWN],
)
def test_gold_items_hold_checkable_evidence(name: str, folder: Path) -> None:
    from sciqa.harness.gold import load_gold
    from sciqa.harness.metrics import fact_present, normalize

    raw = {p.name: p.read_text(encoding="utf-8-sig") for p in folder.glob("*.txt")}
    items = load_gold(EVALS / name)
    assert len({i.id for i in items}) == len(items)
    for i in items:
        assert set(i.sources) <= set(raw), i.id  # (atlas names a near miss's document)
        if not i.answerable:
            assert not i.facts, i.id
            continue
        assert i.sources and i.facts and i.evidence, i.id
        for e in i.evidence:  # verbatim (up to white space and apostrophes) in a gold file
            assert any(normalize(e) in normalize(raw[s]) for s in i.sources), (i.id, e)
        for f in i.facts:
            assert any(fact_present(f, raw[s]) for s in i.sources), (i.id, f)


def test_gold_set_covers_what_the_harness_promises() -> None:
    from collections import Counter

    from sciqa.harness.gold import load_gold

    items = load_gold(EVALS / "gold.jsonl")
    kinds = Counter(i.kind for i in items)
    assert len(items) >= 80
    assert sum(not i.answerable for i in items) >= 15
    assert sum(bool(i.forbidden) for i in items) >= 5
    assert {"factoid", "job", "multi_doc", "paraphrase", "misspelled"} <= set(kinds)
    assert {s for i in items for s in i.sources} == {p.name for p in CORPUS.glob("*.txt")}


def test_a_number_fact_is_found_however_the_number_is_written() -> None:
    from sciqa.harness.metrics import fact_present

    assert fact_present("ten", "There were 10 recipients [1].")
    assert fact_present("10", "NSF named the first ten recipients.")
    assert not fact_present("ten", "There were 11 recipients.")
    assert not fact_present("ten", "They are often at the bureau.")  # "often" holds no "ten"
