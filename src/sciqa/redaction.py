"""Secrets never leave the process: what sciqa was given is masked in any text that does.

The secrets are read from the environment when text is redacted (so a key set after start-up
counts too):

- ``OPENAI_API_KEY``, and any ``SCIQA_*`` or ``OPENAI_*`` variable named like a key, token,
  secret or password (an embedding or judge key);
- the password in any URL those variables hold (``OPENAI_BASE_URL=http://me:pw@host/v1``,
  ``SCIQA_CHROMA_URL``, ``SCIQA_EMBEDDINGS_BASE_URL``), also as the server may echo it alone;
- the passwords of ``SCIQA_UI_USERS``.

Whatever its origin, text shaped like an OpenAI key (``sk-...``) or like a URL's credentials
(``scheme://user:password@``) is masked as well: a server can echo a key that sciqa never held.

Text passes through :func:`redact` where it leaves the process: the CLI's error line, a model's
answer (piece by piece as it streams, :class:`StreamRedactor`, and whole), the ``sciqa`` and
``sciqa_ui`` loggers (:class:`RedactFilter`), the web page's messages and its feedback file.
"""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import unquote

MASK = "***"
# Values shorter than this are masked only where they stand as a word of their own: a 5-letter
# password masked inside every longer word would garble answers. Shorter than MIN_SECRET: never.
MIN_SECRET = 4
_AS_SUBSTRING = 8
# A name that says its value is a secret: OPENAI_API_KEY, SCIQA_JUDGE_API_KEY, ..._TOKEN.
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD")
_OURS = ("SCIQA_", "OPENAI_")
_KEY_SHAPED = re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}")
# ://userinfo@ : the credentials of a URL (user:password, or a token alone).
_URL_CREDENTIALS = re.compile(r"(://)([^\s/?#@]+)@")
# The end of a piece of streamed text that may be the start of a key or of URL credentials.
_PARTIAL = re.compile(r"\b(?:s|sk|sk-[A-Za-z0-9_\-]*)\Z|:(?:/{1,2}[^\s/?#@]*)?\Z")
_LONGEST_HELD = 512  # a held tail longer than this is let go: no credential is that long


def secrets() -> list[str]:
    """The secret values sciqa was given, longest first."""
    found: list[str] = []
    for name, value in os.environ.items():
        if not value or not name.startswith(_OURS):
            continue
        if _SECRET_NAME.search(name):
            found.append(value)
        for m in _URL_CREDENTIALS.finditer(value):
            password = m[2].partition(":")[2] or m[2]
            found += [password, unquote(password)]
    for user in os.environ.get("SCIQA_UI_USERS", "").split(","):
        found.append(user.partition(":")[2])
    return sorted({s for s in found if len(s) >= MIN_SECRET}, key=len, reverse=True)


def _credentials(m: re.Match[str]) -> str:
    user, colon, _ = m[2].partition(":")
    return f"{m[1]}{user}:{MASK}@" if colon else f"{m[1]}{MASK}@"


def redact(text: str, known: list[str] | None = None) -> str:
    """``text`` with every secret (``known``, default :func:`secrets`) and anything shaped like
    a key or a URL's credentials masked."""
    text = _URL_CREDENTIALS.sub(_credentials, text)
    for secret in secrets() if known is None else known:
        if len(secret) >= _AS_SUBSTRING:
            text = text.replace(secret, MASK)
        elif secret in text:
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", MASK, text)
    return _KEY_SHAPED.sub(f"sk-{MASK}", text)


class StreamRedactor:
    """Redacts text that arrives in pieces (a model's streamed answer): a secret split across
    pieces is still masked, since the end of a piece that may begin one is held back until the
    next piece shows whether it does."""

    def __init__(self) -> None:
        self._known = secrets()
        self._pending = ""

    def feed(self, piece: str) -> str:
        """What of the text so far is safe to show now, redacted."""
        text = self._pending + piece
        cut = _safe_end(text, self._known)
        self._pending = text[cut:]
        return redact(text[:cut], self._known)

    def close(self) -> str:
        """The rest, redacted: the stream has ended."""
        text, self._pending = self._pending, ""
        return redact(text, self._known)


def _safe_end(text: str, known: list[str]) -> int:
    """Where the part of ``text`` that is safe to redact and show now ends: before any end of
    it that may be the start of a secret, and never inside one."""
    cut = len(text)
    for secret in known:
        for k in range(min(len(secret) - 1, len(text)), 0, -1):
            if text.endswith(secret[:k]):
                cut = min(cut, len(text) - k)
                break
    if m := _PARTIAL.search(text, max(0, len(text) - _LONGEST_HELD)):
        cut = min(cut, m.start())
    cut = max(cut, len(text) - _LONGEST_HELD, 0)
    spans = [
        (m.start(), m.end()) for p in (_URL_CREDENTIALS, _KEY_SHAPED) for m in p.finditer(text)
    ]
    for secret in known:
        at = text.find(secret)
        while at >= 0:
            spans.append((at, at + len(secret)))
            at = text.find(secret, at + 1)
    for start, end in sorted(spans, reverse=True):  # latest first: a cut moved back is checked
        if start < cut < end:
            cut = start
    return cut


class RedactFilter(logging.Filter):
    """A logging filter that redacts each record's message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.msg, record.args = redact(record.getMessage()), None
        except Exception:  # a malformed call: logging reports it when the record is formatted
            return True
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactFilter()


def redact_logs(logger: logging.Logger) -> None:
    """Redact everything ``logger`` records (idempotent)."""
    logger.addFilter(_FILTER)
