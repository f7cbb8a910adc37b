"""The sciqa web page: a Gradio chat over :class:`sciqa.Pipeline` (``sciqa ui``).

``handlers.py`` gathers every decision, plain functions over plain values and ``sciqa.Answer``
kept in small modules by concern (testable without a browser or Gradio); ``app.py`` builds the
components, then wires the events. ``sciqa`` never imports this package: ``sciqa ui`` finds
:func:`sciqa_ui.app.launch` through the ``sciqa.ui`` entry point.
"""

from __future__ import annotations

import logging
import os

# Before anything imports gradio: no telemetry, no version check, no network at all.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

from sciqa.redaction import redact_logs  # after the environment above

redact_logs(logging.getLogger("sciqa_ui"))  # every module here logs to it: no secret in the log

__all__: list[str] = []
