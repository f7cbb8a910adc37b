"""The sciqa web page: a Gradio chat over :class:`sciqa.Pipeline` (``sciqa ui``).

``handlers.py`` holds every decision as plain functions over plain values and ``sciqa.Answer``
(testable without a browser or Gradio); ``app.py`` builds the components, then wires the events.
``sciqa`` never imports this package.
"""

from __future__ import annotations

import os

# Before anything imports gradio: no telemetry, no version check, no network at all.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

__all__: list[str] = []
