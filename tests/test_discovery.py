"""Finding model servers on this machine: scripted servers on loopback ports stand in for
llama.cpp, Ollama and the rest, and for servers that are down, hang or answer garbage."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from sciqa import ConfigError, Endpoint, LocalServer, discovery, find_local_servers
from sciqa.cli import cli
from tests.openai_server import Scripted, models_list

from .conftest import invoke_cli


@pytest.fixture
def serve() -> Iterator[type[Scripted]]:
    started: list[Scripted] = []

    def start(get: dict[str, tuple[int, bytes, float]]) -> Scripted:
        s = Scripted([], get=get)
        started.append(s)
        return s

    yield start  # type: ignore[misc]
    for s in started:
        s.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def models(*ids: str, owned_by: str = "llamacpp") -> tuple[int, bytes, float]:
    return (200, models_list(*ids, owned_by=owned_by), 0.0)


def test_servers_are_found_with_their_models_all_at_once(serve) -> None:
    llama = serve({"/v1/models": models("gemma3-270m", "qwen2.5-0.5b")})
    hanging = [serve({"/v1/models": (200, models_list("late"), 5.0)}) for _ in range(2)]
    down = closed_port()
    known = {down: "LM Studio", hanging[0].port: "vLLM", hanging[1].port: "vLLM", llama.port: "x"}
    started = time.monotonic()
    found = find_local_servers(known=known, timeout=0.5, budget=3.0)
    took = time.monotonic() - started
    assert found == [LocalServer("llama.cpp", llama.url, ("gemma3-270m", "qwen2.5-0.5b"))]
    assert took < 0.9  # asked together: one after the other, the two hangs alone take 1 s
    assert llama.paths == ["/v1/models"]
    server = found[0]
    assert server.address == f"127.0.0.1:{llama.port}"
    assert server.label("gemma3-270m") == f"gemma3-270m on llama.cpp at 127.0.0.1:{llama.port}"
    assert server.endpoint("gemma3-270m") == Endpoint(llama.url, "gemma3-270m")


def test_a_server_is_named_by_its_model_list_then_by_its_port(serve) -> None:
    vllm = serve({"/v1/models": models("Qwen/Qwen2.5-0.5B", owned_by="vllm")})
    plain = serve({"/v1/models": models("m1", owned_by="someone")})
    found = find_local_servers(f"{vllm.port},{plain.port}", known={plain.port: "LM Studio"})
    assert [(s.name, s.models) for s in found] == [
        ("LM Studio", ("m1",)),
        ("vLLM", ("Qwen/Qwen2.5-0.5B",)),
    ]
    extra = find_local_servers(str(plain.port), known={})
    assert [s.name for s in extra] == ["OpenAI-compatible server"]


def test_an_ollama_without_v1_models_is_asked_for_its_tags(serve) -> None:
    tags = {"models": [{"name": "llama3.1:latest", "size": 1}, {"model": "phi3:mini"}, "junk"]}
    ollama = serve({"/api/tags": (200, json.dumps(tags).encode(), 0.0)})
    found = find_local_servers(known={ollama.port: "Ollama"})
    assert found == [LocalServer("Ollama", ollama.url, ("llama3.1:latest", "phi3:mini"))]
    assert ollama.paths == ["/v1/models", "/api/tags"]


def test_nothing_listening_is_not_found_at_once() -> None:
    started = time.monotonic()
    known = {closed_port(): "Ollama", closed_port(): "vLLM"}
    assert find_local_servers(known=known, timeout=2.0, budget=5.0) == []
    assert time.monotonic() - started < 1.0  # refused at once: no timeout is waited out


@pytest.mark.parametrize(
    "reply",
    [
        (200, b"<html><body>It works!</body></html>", 0.0),  # some other web server
        (200, b'{"data": "not a list"}', 0.0),
        (200, b"[" * 200_000, 0.0),  # nested deeper than the JSON parser can go
        (200, models_list(*(f"m{i}-" + "x" * 180 for i in range(4000))), 0.0),  # over 512 KB
        (500, b'{"error": "boom"}', 0.0),
        (200, models_list("too-late"), 2.0),  # hangs past the read timeout
    ],
    ids=["html", "wrong-shape", "too-deep", "too-long", "error", "hangs"],
)
def test_garbage_or_a_hang_is_not_found_within_the_timeout(serve, reply) -> None:
    server = serve({"/v1/models": reply})
    started = time.monotonic()
    assert find_local_servers(known={server.port: "llama.cpp"}) == []
    assert time.monotonic() - started < discovery.BUDGET + 0.3


def test_a_server_that_trickles_its_reply_is_cut_off_at_the_budget() -> None:
    """Each byte comes within the read timeout, so only the overall budget stops it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n")
            while not stop.wait(0.05):
                try:
                    conn.sendall(b" ")
                except OSError:
                    return

    threading.Thread(target=trickle, daemon=True).start()
    try:
        started = time.monotonic()
        found = find_local_servers(known={listener.getsockname()[1]: "vLLM"}, budget=0.6)
        took = time.monotonic() - started
    finally:
        stop.set()
        listener.close()
    assert found == [] and 0.55 < took < 1.2


def test_model_names_are_cleaned_and_bounded(serve) -> None:
    ids = ["ok", "", "  ", "bad\x1b[31m", "y" * 201, "ok", *(f"m{i}" for i in range(150))]
    data = {"data": [{"id": i} for i in ids] + [{"id": 7}, "junk"]}
    server = serve({"/v1/models": (200, json.dumps(data).encode(), 0.0)})
    (found,) = find_local_servers(known={server.port: "llama.cpp"})
    assert found.models[:2] == ("ok", "m0") and len(found.models) == discovery.MAX_MODELS


def test_extra_places_are_ports_or_loopback_urls_only() -> None:
    places = discovery.targets("8081, http://localhost:5000/api/v1/ ,[::1]:9000,8081", known={})
    assert [t.base_url for t in places] == [
        "http://127.0.0.1:8081/v1",
        "http://127.0.0.1:5000/api/v1",
        "http://[::1]:9000/v1",
    ]
    assert [t.port for t in discovery.targets()] == [11434, 8080, 1234, 8000]
    for bad, says in [
        ("example.org:8080", "not on this machine"),
        ("http://10.0.0.5:8080/v1", "not on this machine"),
        ("https://127.0.0.1:8080", "not a port or an http:// URL"),
        ("127.0.0.1:port", "not a port or an http:// URL"),
        ("70000", "a port is 1 to 65535"),
    ]:
        with pytest.raises(ConfigError, match=says):
            discovery.targets(bad)


# -- sciqa models -----------------------------------------------------------------------------


def test_cli_models_json_lists_what_was_found(serve, monkeypatch) -> None:
    server = serve({"/v1/models": models("gemma3-270m")})
    down = closed_port()
    monkeypatch.setattr(discovery, "KNOWN_PORTS", {down: "Ollama"})
    monkeypatch.setenv("SCIQA_LOCAL_SERVERS", str(server.port))
    result = CliRunner().invoke(cli, ["models", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "servers": [{"name": "llama.cpp", "base_url": server.url, "models": ["gemma3-270m"]}],
        "looked_at": [f"http://127.0.0.1:{down}/v1", server.url],
    }
    plain = CliRunner().invoke(cli, ["models"])
    assert plain.exit_code == 0
    assert f"llama.cpp at 127.0.0.1:{server.port} ({server.url})\n  gemma3-270m\n" in plain.stdout
    assert f"OPENAI_BASE_URL={server.url} SCIQA_MODEL=gemma3-270m sciqa ask" in plain.stdout


def test_cli_models_says_plainly_when_none_is_found(monkeypatch) -> None:
    down = closed_port()
    monkeypatch.setattr(discovery, "KNOWN_PORTS", {down: "Ollama"})
    result = CliRunner().invoke(cli, ["models"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(f"No local model server found on this machine (looked at Ollama {down})")
    assert "SCIQA_LLM=openai OPENAI_BASE_URL=" in out and "SCIQA_MODEL=" in out
    as_json = CliRunner().invoke(cli, ["models", "--json"])
    assert json.loads(as_json.stdout)["servers"] == []


def test_cli_models_refuses_a_remote_place_in_one_line(tmp_path: Path) -> None:
    done = invoke_cli("models", home=tmp_path, env={"SCIQA_LOCAL_SERVERS": "192.168.1.9:8080"})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("sciqa: error: SCIQA_LOCAL_SERVERS entry '192.168.1.9:8080'")
    help_text = invoke_cli("models", "--help", home=tmp_path).stdout
    assert "sciqa models" in help_text and "SCIQA_LOCAL_SERVERS" in help_text
