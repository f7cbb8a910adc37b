"""Models and the page: ``sciqa models`` (servers on this machine, :mod:`sciqa.discovery`) and
``sciqa ui`` (the chat page, found through the ``sciqa.ui`` entry point when the command runs:
sciqa never imports it by name)."""

from __future__ import annotations

import errno
import json
import shlex
from dataclasses import asdict

import click

from sciqa.cli.shell import clean_errors, fail

# -- models: the probing lives in discovery.py -----------------------------------------------


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print what was found as one JSON object.")
@clean_errors
def models(as_json: bool) -> None:
    """List the model servers running on this machine and the models they serve.

    Looks, for about a second, at Ollama (port 11434), llama.cpp's server (8080), LM Studio
    (1234) and vLLM (8000) on 127.0.0.1, and at the ports or loopback URLs in
    SCIQA_LOCAL_SERVERS. Nothing beyond this machine is contacted. The web page (`sciqa ui`)
    offers every model found; `sciqa ask` uses the one that SCIQA_LLM=openai,
    OPENAI_BASE_URL and SCIQA_MODEL name.

    \b
    Examples:
      sciqa models
      SCIQA_LOCAL_SERVERS=8081 sciqa models --json
    """
    from sciqa import discovery
    from sciqa.settings import Settings

    places = discovery.targets(Settings().local_servers)
    servers = discovery.probe(places)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "servers": [asdict(s) for s in servers],
                    "looked_at": [t.base_url for t in places],
                }
            )
        )
        return
    if not servers:
        where = ", ".join(f"{t.name or 'port'} {t.port}" for t in places)
        click.echo(
            f"No local model server found on this machine (looked at {where}).\n"
            "Meanwhile sciqa answers offline, quoting the documents. To answer with a model,\n"
            "start one of those servers, or point sciqa at any OpenAI-compatible server:\n"
            "  SCIQA_LLM=openai OPENAI_BASE_URL=http://127.0.0.1:8080/v1 SCIQA_MODEL=<model> "
            'sciqa ask "..."\n'
            "Add OPENAI_API_KEY for a hosted server; SCIQA_LOCAL_SERVERS=8081 looks at another "
            "port too."
        )
        return
    for server in servers:
        click.echo(f"{server.name} at {server.address} ({server.base_url})")
        for model in server.models:
            click.echo(f"  {model}")
        if not server.models:
            click.echo("  (no models loaded)")
    first = next((s for s in servers if s.models), None)
    if first is not None:
        click.echo(
            "\nTo answer with one:\n"
            f"  SCIQA_LLM=openai OPENAI_BASE_URL={first.base_url} "
            f'SCIQA_MODEL={shlex.quote(first.models[0])} sciqa ask "..."\n'
            "or pick it under Settings in the web page (sciqa ui)."
        )


# -- ui: the web page lives in ui/sciqa_ui, found through the "sciqa.ui" entry point when the
# command runs (sciqa never imports it by name) ----------------------------------------------


def _port_taken(host: str, port: int) -> bool:
    """Whether something already listens on ``host:port`` (checked as Gradio checks it)."""
    import socket

    address = host.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return True
            raise
    return False


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to serve on; anything but loopback should have SCIQA_UI_USERS set.",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=7860, show_default=True, help="Port."
)
@click.option(
    "--open",
    "open_browser",
    is_flag=True,
    help="Also open the page in a browser, when this machine has a display.",
)
@clean_errors
def ui(host: str, port: int, open_browser: bool) -> None:
    """Serve the chat page: answers stream in with their sources; Ctrl-C stops it.

    A new store is indexed first (the bundled corpus, with progress on stderr); then one line
    says where the page is. Makes no network calls of its own (Gradio's telemetry is off). Set
    SCIQA_UI_USERS="alice:pw1,bob:pw2" to require a login. Feedback (thumbs up/down) is
    appended to SCIQA_HOME/feedback.jsonl.

    \b
    Example:
      sciqa ui --port 7860     # then open http://127.0.0.1:7860
    """
    busy = f"port {port} is in use; pick another with --port"
    try:
        taken = _port_taken(host, port)  # before loading anything: say so at once
    except OSError as e:  # a port below 1024, an address not of this machine
        fail(f"cannot serve on {host}:{port} ({e.strerror or e}); pick another --host or --port")
    if taken:
        fail(busy)
    # Importing Gradio alone takes seconds, then a new store is indexed: say so at once.
    click.echo("sciqa: loading the page, the store and the models; its address follows", err=True)
    from importlib.metadata import entry_points

    pages = entry_points(group="sciqa.ui", name="launch")
    if not pages:
        fail(
            "the web page is not installed with this sciqa (no 'sciqa.ui' entry point); "
            "reinstall sciqa"
        )
    try:
        launch = next(iter(pages)).load()
    except ImportError as e:
        fail(f"the web page is not installed with this sciqa ({e}); reinstall sciqa")
    try:
        launch(host=host, port=port, open_browser=open_browser)
    except OSError:
        # Taken while the page was getting ready: Gradio's own message speaks to Python
        # callers (GRADIO_SERVER_PORT, launch()), so say it in the command's words.
        if _port_taken(host, port):
            fail(busy)
        raise
