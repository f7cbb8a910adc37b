"""Serving the page: who may sign in, whether an address is this machine's own, and the
answerer read in the background before visitors come (no Gradio here)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from sciqa import ConfigError, Pipeline


def prime_answerer(
    pipeline: Pipeline,
    *,
    batch: int = 8,
    max_sentences: int = 20_000,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Have the extractive answerer embed every sentence of the collection once, in small
    batches, so that no visitor waits for it (:meth:`sciqa.Pipeline.warm_up`); returns how many
    sentences it saw. Small batches keep a visitor's question from waiting long behind this."""
    return pipeline.warm_up(batch=batch, max_sentences=max_sentences, stop=stop)


def parse_users(spec: str | None) -> list[tuple[str, str]]:
    """``"alice:pw1,bob:pw2"`` -> ``[("alice", "pw1"), ("bob", "pw2")]``.

    Raises ``ConfigError`` naming the malformed entry's position (never the password).
    """
    users = []
    for i, item in enumerate((spec or "").split(","), start=1):
        item = item.strip()
        if not item:
            continue
        name, sep, password = item.partition(":")
        if not sep or not name.strip() or not password:
            raise ConfigError(
                f"SCIQA_UI_USERS entry {i} is not user:password; write it as "
                '"alice:secret1,bob:secret2"'
            )
        users.append((name.strip(), password))
    return users


def is_loopback(host: str) -> bool:
    if host in ("localhost", "127.0.0.1", "::1"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
