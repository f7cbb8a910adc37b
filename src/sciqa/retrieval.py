"""Hybrid retrieval: dense (Chroma) and BM25 rankings fused with reciprocal rank fusion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import zip_longest

from langchain_core.embeddings import Embeddings

from sciqa.errors import StoreMismatchError
from sciqa.questions import split_question
from sciqa.schema import Passage
from sciqa.store import Store

RRF_K = 60


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> dict[str, float]:
    """Sum of ``1 / (k + rank)`` over the rankings each id appears in (rank from 1)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking, start=1):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (k + rank)
    return scores


def _best_first(scores: dict[str, float]) -> list[str]:
    return sorted(scores, key=lambda cid: -scores[cid])


class HybridRetriever:
    """Top passages for a query from both retrievers, best first, duplicates collapsed."""

    def __init__(self, store: Store, embeddings: Embeddings, fetch_k: int = 20) -> None:
        self.store = store
        self.embeddings = embeddings
        self.fetch_k = fetch_k

    def retrieve(self, query: str, k: int) -> list[Passage]:
        """The ``k`` best passages, best first.

        For a question that asks several things (see :func:`~sciqa.questions.split_question`)
        each part is searched too, and the parts' best passages are taken in turn before the
        rest, so that the second half of the question is not crowded out by the first.
        """
        parts = split_question(query)
        texts = [query, *parts] if len(parts) > 1 else [query]
        searches: list[tuple[list[str], list[str]]] = []  # (dense, BM25) ranking of each text
        for text in texts:
            vector = self.embeddings.embed_query(text)
            dense = [cid for cid, _ in self._dense_search(vector)]
            sparse = [cid for cid, _ in self.store.bm25_search(text, self.fetch_k)]
            searches.append((dense, sparse))
        dense_ids, sparse_ids = searches[0]
        fused = reciprocal_rank_fusion([r for pair in searches for r in pair])
        ranked = _best_first(fused)
        if len(parts) > 1:
            turns = zip_longest(*(_best_first(reciprocal_rank_fusion(p)) for p in searches[1:]))
            ranked = list(dict.fromkeys([c for turn in turns for c in turn if c] + ranked))
        found = self.store.passages(ranked[: k * 2])
        out: list[Passage] = []
        seen_text: set[str] = set()
        for cid in ranked:
            passage = found.get(cid)
            if passage is None or passage.text in seen_text:
                continue  # the same listing scraped onto two pages: keep the better one
            seen_text.add(passage.text)
            out.append(
                replace(
                    passage,
                    score=fused[cid],
                    dense_rank=dense_ids.index(cid) + 1 if cid in dense_ids else None,
                    bm25_rank=sparse_ids.index(cid) + 1 if cid in sparse_ids else None,
                )
            )
            if len(out) == k:
                break
        return sorted(out, key=lambda p: -p.score)

    def _dense_search(self, vector: Sequence[float]) -> list[tuple[str, float]]:
        try:
            return self.store.dense_search(vector, self.fetch_k)
        except Exception as e:
            # Same model name, other vectors: the server behind it now serves another model.
            if type(e).__module__.startswith("chromadb") and "dimension" in str(e):
                raise StoreMismatchError(
                    f"the embeddings configured now are {len(vector)} numbers long, but the "
                    f"store at {self.store.dir} holds vectors of another length ({e}): the "
                    "embedding model changed. Set it back, or run `sciqa ingest --rebuild`"
                ) from e
            raise
