"""``sciqa ui`` in a subprocess on a free loopback port, for the browser and load tests.

Its Python is wrapped so that any network connection beyond loopback is refused and logged
(``BLOCKED`` in its output).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

# Runs `sciqa ui ...` with every non-loopback connection refused and logged.
GUARD = r"""
import socket, sys
LOCAL = {"127.0.0.1", "::1", "localhost", "0.0.0.0", "::"}
_connect, _getaddrinfo = socket.socket.connect, socket.getaddrinfo
def _blocked(what):
    print(f"sciqa-test: BLOCKED {what}", file=sys.stderr, flush=True)
    return OSError(f"network blocked by the test: {what}")
def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOCAL:
        raise _blocked(f"connect to {address!r}")
    return _connect(self, address)
def getaddrinfo(host, *args, **kwargs):
    if host is not None and str(host) not in LOCAL:
        raise _blocked(f"lookup of {host!r}")
    return _getaddrinfo(host, *args, **kwargs)
socket.socket.connect, socket.getaddrinfo = connect, getaddrinfo
from sciqa.cli import main
sys.argv[0] = "sciqa"
main()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class UIServer:
    """``sciqa ui --port P`` with ``home`` as SCIQA_HOME, its output in ``log``."""

    def __init__(self, home: Path, log: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.home, self.log = home, log
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SCIQA_", "OPENAI_", "GRADIO_")) and k != "HTTP_PROXY"
        }
        if "SCIQA_VECTOR_CACHE" in os.environ:  # the run's (tests/conftest.py)
            clean["SCIQA_VECTOR_CACHE"] = os.environ["SCIQA_VECTOR_CACHE"]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", GUARD, "ui", "--port", str(self.port)],
            env={**clean, "SCIQA_HOME": str(home), "SCIQA_PROGRESS": "false", **env},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def wait(self, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"sciqa ui exited:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"sciqa ui did not start in {timeout}s:\n{self.output()}")

    def wait_for_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert time.monotonic() < deadline, f"no {text!r} in {timeout}s:\n{self.output()}"
            time.sleep(0.5)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
