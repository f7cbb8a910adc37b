"""Hybrid retrieval: dense (Chroma) and BM25 rankings fused with reciprocal rank fusion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from langchain_core.embeddings import Embeddings

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


class HybridRetriever:
    """Top passages for a query from both retrievers, best first, duplicates collapsed."""

    def __init__(self, store: Store, embeddings: Embeddings, fetch_k: int = 20) -> None:
        self.store = store
        self.embeddings = embeddings
        self.fetch_k = fetch_k

    def retrieve(self, query: str, k: int) -> list[Passage]:
        """The ``k`` best passages; for a question that asks several things (see
        :func:`~sciqa.questions.split_question`), ``k`` more for each further part, from the
        rankings of the whole question and of each part fused together."""
        parts = split_question(query)
        texts = [query, *parts] if len(parts) > 1 else [query]
        rankings: list[list[str]] = []
        for text in texts:
            vector = self.embeddings.embed_query(text)
            rankings.append([cid for cid, _ in self.store.dense_search(vector, self.fetch_k)])
            rankings.append([cid for cid, _ in self.store.bm25_search(text, self.fetch_k)])
        dense_ids, sparse_ids = rankings[0], rankings[1]
        k *= len(parts)
        fused = reciprocal_rank_fusion(rankings)
        ranked = sorted(fused, key=lambda cid: -fused[cid])
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
        return out
