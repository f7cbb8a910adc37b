"""A scripted OpenAI-compatible server on loopback, for the faults a healthy server will not
produce on demand (500, 429, hangs, malformed JSON, a server that echoes the key it was sent),
and for the model lists ``GET /v1/models`` and Ollama's ``GET /api/tags`` return."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = tuple[int, bytes, float]  # status, body, seconds to wait before answering


def sse(text: str, model: str = "scripted", *, size: int = 0) -> bytes:
    """``text`` as a streamed chat completion, a word per chunk (``size`` characters per chunk
    if given: a word split across chunks, as models stream a long key)."""
    pieces = [text[i : i + size] for i in range(0, len(text), size)] if size else None
    chunks = [
        {
            "id": "x",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}],
        }
        for word in pieces or re.findall(r"\S+\s*", text)
    ]
    lines = [f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]
    return "".join(lines).encode()


def completion(text: str, model: str = "scripted") -> bytes:
    """``text`` as a whole (not streamed) chat completion: the claim check's call is one."""
    message = {"role": "assistant", "content": text}
    choice = {"index": 0, "message": message, "finish_reason": "stop"}
    body = {"id": "x", "object": "chat.completion", "created": 0, "model": model}
    return json.dumps({**body, "choices": [choice]}).encode()


def models_list(*ids: str, owned_by: str = "llamacpp") -> bytes:
    """An OpenAI ``/v1/models`` reply listing ``ids``."""
    data = [{"id": i, "object": "model", "created": 0, "owned_by": owned_by} for i in ids]
    return json.dumps({"object": "list", "data": data}).encode()


NOT_FOUND_REPLY: Reply = (404, b'{"error": "not found"}', 0)


class Scripted:
    """Answers each POST with the next scripted reply (the last one repeats), or with what
    ``replies`` returns for the API key the request carried; records the keys it was sent.
    A GET is answered from ``get`` by its path (404 for any other), and recorded in ``paths``."""

    def __init__(
        self,
        replies: list[Reply] | Callable[[str], Reply],
        *,
        get: Mapping[str, Reply] | None = None,
    ) -> None:
        self.replies = replies
        self.get = dict(get or {})
        self.requests = 0
        self.keys: list[str] = []
        self.paths: list[str] = []
        script = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                script.paths.append(self.path)
                self.respond(*script.get.get(self.path, NOT_FOUND_REPLY))

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                key = self.headers.get("authorization", "").removeprefix("Bearer ")
                script.keys.append(key)
                self.respond(*script.reply(key))

            def respond(self, status: int, body: bytes, delay: float) -> None:
                time.sleep(delay)
                try:
                    self.send_response(status)
                    kind = "text/event-stream" if body.startswith(b"data:") else "application/json"
                    self.send_header("content-type", kind)
                    self.send_header("content-length", str(len(body)))
                    if status == 429:
                        self.send_header("retry-after-ms", "10")
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting: what the timeout test wants

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reply(self, key: str) -> Reply:
        self.requests += 1
        if callable(self.replies):
            return self.replies(key)
        return self.replies[min(self.requests, len(self.replies)) - 1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Embedder:
    """An OpenAI-compatible ``/embeddings`` endpoint: one vector of ``dimension`` numbers per
    input; a test changes ``dimension`` to have the server send vectors of another length."""

    def __init__(self, dimension: int = 8) -> None:
        self.dimension = dimension
        self.calls = 0
        script = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                script.calls += 1
                size = script.dimension
                data = [
                    {"object": "embedding", "index": i, "embedding": [(i % 7 + 1) / 8] * size}
                    for i in range(len(texts))
                ]
                usage = {"prompt_tokens": 1, "total_tokens": 1}
                reply = {"object": "list", "model": "m", "data": data, "usage": usage}
                out = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
