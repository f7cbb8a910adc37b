"""The public API: an explicit __all__ that cannot drift (as httpx does)."""

import os
import pathlib

import pytest

import sciqa


def test_all_names_exist_and_nothing_public_is_missing() -> None:
    assert sorted(sciqa.__all__) == sorted(set(sciqa.__all__))
    for name in sciqa.__all__:
        assert hasattr(sciqa, name), name
    public = {n for n in vars(sciqa) if not n.startswith("_") and n not in {"annotations"}}
    modules = {n for n in public if type(getattr(sciqa, n)).__name__ == "module"}
    imported_helpers = {"Iterator", "Sequence", "Path", "cache"}
    assert public - modules - imported_helpers == set(sciqa.__all__) - {"__version__"}


def test_module_level_functions_use_one_shared_pipeline(built_home, monkeypatch) -> None:
    monkeypatch.setenv("SCIQA_HOME", str(built_home))
    sciqa.default_pipeline.cache_clear()
    answer = sciqa.ask("Who are the authors of The Ethical Algorithm?")
    assert "Kearns" in answer.answer and answer.citations
    assert sciqa.default_pipeline() is sciqa.default_pipeline()
    pieces = list(sciqa.stream("Who are the authors of The Ethical Algorithm?"))
    final = pieces[-1]
    assert isinstance(final, sciqa.Answer) and "".join(pieces[:-1]) == final.answer
    assert len(pieces) - 1 == len(final.citations) >= 1  # one quoted sentence at a time
    assert final.passages and all(isinstance(p, sciqa.Passage) for p in final.passages)
    assert {c.chunk_id for c in final.citations} <= {p.chunk_id for p in final.passages}
    assert "first_text_ms" in final.timings


def test_question_errors_are_typed_and_say_what_to_do(pipeline) -> None:
    import pytest

    for bad in ("", "   \n"):
        with pytest.raises(sciqa.QuestionError, match="empty"):
            pipeline.ask(bad)
    with pytest.raises(sciqa.QuestionError, match="limit"):
        pipeline.ask("why " * 60_000)


def test_a_lone_surrogate_is_a_question_error(pipeline) -> None:
    """Issue 15, item 6: was "unexpected TypeError" from the tokenizer."""
    import pytest

    with pytest.raises(sciqa.QuestionError, match=r"not valid text .*character 1 is a lone"):
        pipeline.ask("\ud800?")


def test_a_fullwidth_question_is_read_as_its_ascii_twin(pipeline) -> None:
    """Issue 15, item 8: NFKC at the pipeline's entry; the fullwidth copy abstained."""
    question = "When did Amazon launch the Amazon Scholars program?"
    fullwidth = "".join(
        "\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in question
    )
    assert fullwidth != question
    answer, ascii_answer = pipeline.ask(fullwidth), pipeline.ask(question)
    assert not answer.abstained and "2019" in answer.answer
    assert answer.answer == ascii_answer.answer and answer.question == fullwidth


def test_answer_says_what_a_follow_up_was_searched_as(pipeline) -> None:
    history = [
        {"role": "user", "content": "Where is the AWS Center for Quantum Computing?"},
        {"role": "assistant", "content": "On the Caltech campus [1]."},
    ]
    answer = pipeline.ask("What does it look for?", history=history)
    assert answer.question == "What does it look for?"
    assert "Quantum" in answer.query and answer.query.endswith("What does it look for?")


def test_building_a_pipeline_writes_no_environment_variable(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    before = dict(os.environ)
    sciqa.Pipeline(sciqa.Settings(home=tmp_path / "home", progress=False))
    assert dict(os.environ) == before


def test_warm_up_embeds_whole_batches_until_its_bound_or_stop(pipeline) -> None:
    fresh = sciqa.Pipeline(pipeline.settings, embeddings=pipeline.embeddings)
    assert fresh.warm_up(stop=lambda: True) == 0
    ids = fresh.store.collection.get(include=[])["ids"]

    def sentences(chunk_ids: list[str]) -> int:
        return sum(len(p.spans) for p in fresh.store.passages(chunk_ids).values())

    first = fresh.warm_up(batch=2, max_sentences=1)  # one batch of two chunks, then the bound
    assert first == sentences(ids[:2]) > 1
    # The first batch again (its vectors kept), and the second: the bound is checked between
    # batches.
    assert fresh.warm_up(batch=2, max_sentences=first + 1) == sentences(ids[:4])
