"""Local model servers, found on their own: Ollama, llama.cpp's server, LM Studio, vLLM.

:func:`find_local_servers` asks each of their usual ports on 127.0.0.1 (and any listed in
``Settings.local_servers``) for its models, all at once: the OpenAI-compatible
``GET /v1/models``, and Ollama's ``GET /api/tags`` where that is absent.

    >>> find_local_servers()
    [LocalServer(name='llama.cpp', base_url='http://127.0.0.1:8080/v1', models=('gemma3-270m',))]

Only this machine is probed, with plain HTTP (never through a proxy). A port with nothing
listening, a server that hangs, trickles or answers something other than a model list is simply
not found: each request has :data:`TIMEOUT` to connect and between bytes, reads at most
:data:`MAX_BYTES`, and the whole look-around ends after :data:`BUDGET` whatever the servers do.
A setting naming another machine is a :class:`~sciqa.errors.ConfigError`.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import logging
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sciqa.errors import ConfigError
from sciqa.providers import Endpoint

log = logging.getLogger("sciqa")

# Where each server listens unless told otherwise.
KNOWN_PORTS: Mapping[int, str] = {
    11434: "Ollama",
    8080: "llama.cpp",
    1234: "LM Studio",
    8000: "vLLM",
}
TIMEOUT = 0.3  # seconds to connect, and to wait for each next piece of a reply
BUDGET = 1.0  # seconds for the whole look-around, however slowly a server answers
MAX_BYTES = 512 * 1024  # a model list is a few KB; anything longer is not one
MAX_MODELS = 100
# What a server's model list says in "owned_by", when that names the server.
_OWNERS = {"llamacpp": "llama.cpp", "vllm": "vLLM", "organization_owner": "LM Studio"}


@dataclass(frozen=True)
class LocalServer:
    """A model server found on this machine: what it is, where, and the models it serves."""

    name: str  # "llama.cpp", "Ollama", "LM Studio", "vLLM" or "OpenAI-compatible server"
    base_url: str  # its OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1
    models: tuple[str, ...]

    @property
    def address(self) -> str:
        """``127.0.0.1:8080``."""
        return urlsplit(self.base_url).netloc

    def label(self, model: str) -> str:
        """``gemma3-270m on llama.cpp at 127.0.0.1:8080``."""
        return f"{model} on {self.name} at {self.address}"

    def endpoint(self, model: str) -> Endpoint:
        """What :meth:`sciqa.Pipeline.ask` takes as ``llm`` to answer with ``model`` here."""
        return Endpoint(self.base_url, model)


@dataclass(frozen=True)
class Target:
    """A place to look: a loopback host, a port, the API's base path."""

    host: str
    port: int
    path: str = "/v1"
    name: str = ""  # what usually listens there

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"


def targets(extra: str = "", known: Mapping[int, str] | None = None) -> list[Target]:
    """The usual ports (``known``, default :data:`KNOWN_PORTS`), then ``extra``
    (``Settings.local_servers``: ports or loopback URLs, comma-separated), each place once."""
    known = KNOWN_PORTS if known is None else known
    found = {
        (t.host, t.port, t.path): t
        for t in (Target("127.0.0.1", p, name=n) for p, n in known.items())
    }
    for item in extra.split(","):
        if item.strip():
            t = _parse(item.strip())
            found.setdefault((t.host, t.port, t.path), t)
    return list(found.values())


def _parse(item: str) -> Target:
    if item.isdigit():
        return Target("127.0.0.1", _port(int(item), item))
    url = urlsplit(item if "://" in item else f"http://{item}")
    try:
        port = url.port
    except ValueError:
        port = -1
    if url.scheme != "http" or not url.hostname or port == -1:
        raise ConfigError(
            f"SCIQA_LOCAL_SERVERS entry {item!r} is not a port or an http:// URL on this "
            "machine; write it as 8081 or http://127.0.0.1:8081/v1"
        )
    host = "127.0.0.1" if url.hostname == "localhost" else url.hostname
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(
            f"SCIQA_LOCAL_SERVERS entry {item!r} is not on this machine: only 127.0.0.1, "
            "localhost and ::1 are probed. For a server elsewhere set SCIQA_LLM=openai and "
            "OPENAI_BASE_URL"
        )
    return Target(host, _port(port or 80, item), url.path.rstrip("/") or "/v1")


def _port(port: int, item: str) -> int:
    if not 0 < port < 65536:
        raise ConfigError(f"SCIQA_LOCAL_SERVERS entry {item!r}: a port is 1 to 65535")
    return port


def find_local_servers(
    extra: str = "",
    *,
    known: Mapping[int, str] | None = None,
    timeout: float = TIMEOUT,
    budget: float = BUDGET,
) -> list[LocalServer]:
    """The model servers answering on this machine, in the order of :func:`targets`."""
    return probe(targets(extra, known), timeout=timeout, budget=budget)


def probe(
    places: Sequence[Target], *, timeout: float = TIMEOUT, budget: float = BUDGET
) -> list[LocalServer]:
    """Ask every place at once; what has not answered within ``budget`` seconds is not found."""
    deadline = time.monotonic() + budget
    probes = [_Probe(t, timeout, deadline) for t in places]
    for p in probes:
        p.start()
    for p in probes:
        p.join(max(0.0, deadline - time.monotonic()))
    for p in probes:
        p.cancel()  # a straggler's socket is shut: its thread ends at once
    servers: dict[str, LocalServer] = {}
    for p in probes:
        found = p.found
        if found is not None and not p.is_alive():
            servers.setdefault(found.base_url, found)
    return list(servers.values())


class _Probe(threading.Thread):
    """One place, asked in a thread of its own that the caller can cut short."""

    def __init__(self, target: Target, timeout: float, deadline: float) -> None:
        super().__init__(name=f"sciqa-probe-{target.port}", daemon=True)
        self.target, self.timeout, self.deadline = target, timeout, deadline
        self.found: LocalServer | None = None
        self._lock = threading.Lock()
        self._conn: http.client.HTTPConnection | None = None
        self._cancelled = False

    def run(self) -> None:
        # Whatever a server does (refuses, hangs, resets, sends bytes that are not a model
        # list, JSON nested deep enough to overflow the parser) it is just not found.
        try:
            self.found = self._ask()
        except Exception as e:
            log.debug("no model server at %s: %s", self.target.base_url, e)

    def _ask(self) -> LocalServer | None:
        t = self.target
        reply = self._get(f"{t.path}/models")
        if reply is not None and reply[0] == 200:
            listed = _openai_models(reply[1])
            if listed is None:
                return None
            models, owner = listed
            name = _OWNERS.get(owner) or t.name or "OpenAI-compatible server"
            return LocalServer(name, t.base_url, models)
        if reply is not None and reply[0] == 404:  # an Ollama older than its /v1/models
            tags = self._get("/api/tags")
            if tags is not None and tags[0] == 200:
                names = _ollama_models(tags[1])
                if names is not None:
                    return LocalServer("Ollama", t.base_url, names)
        return None

    def _get(self, path: str) -> tuple[int, bytes] | None:
        conn = http.client.HTTPConnection(self.target.host, self.target.port, timeout=self.timeout)
        with self._lock:
            if self._cancelled:
                return None
            self._conn = conn
        try:
            conn.connect()
            with self._lock:
                if self._cancelled:  # cut short while connecting
                    return None
            conn.request("GET", path, headers={"Accept": "application/json"})
            response = conn.getresponse()
            body = bytearray()
            while len(body) <= MAX_BYTES:
                if time.monotonic() > self.deadline:
                    return None
                piece = response.read1(65536)
                if not piece:
                    return response.status, bytes(body)
                body += piece
            return None  # too long to be a model list
        finally:
            conn.close()

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            sock = self._conn.sock if self._conn is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)


def _openai_models(body: bytes) -> tuple[tuple[str, ...], str] | None:
    """The model ids of an OpenAI ``/v1/models`` reply and the first "owned_by", or None."""
    data = json.loads(body)
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    entries = [i for i in items if isinstance(i, dict)]
    owner = next((str(i["owned_by"]) for i in entries if isinstance(i.get("owned_by"), str)), "")
    return _names(i.get("id") for i in entries), owner


def _ollama_models(body: bytes) -> tuple[str, ...] | None:
    """The model names of an Ollama ``/api/tags`` reply, or None."""
    data = json.loads(body)
    items = data.get("models") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    return _names(i.get("name") or i.get("model") for i in items if isinstance(i, dict))


def _names(values: Any) -> tuple[str, ...]:
    """Model names as a page can show them: printable, of sensible length, each once."""
    names: dict[str, None] = {}
    for v in values:
        if isinstance(v, str) and 0 < len(v.strip()) <= 200 and v.isprintable():
            names.setdefault(v.strip(), None)
        if len(names) == MAX_MODELS:
            break
    return tuple(names)
