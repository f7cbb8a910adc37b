"""The evaluation harness: what ``sciqa eval`` runs beside the pipeline, never inside it.

- :mod:`~sciqa.harness.metrics`: pure metric functions over text, rankings and answers;
- :mod:`~sciqa.harness.gold`: gold sets read;
- :mod:`~sciqa.harness.evaluation`: the metric names, and each gold question scored;
- :mod:`~sciqa.harness.summary`: the means of many questions, and the three answer gates;
- :mod:`~sciqa.harness.baseline`: the naive comparison (LangChain's tutorial RAG);
- :mod:`~sciqa.harness.judge`: the optional LLM judge of faithfulness;
- :mod:`~sciqa.harness.evalrun`: running both pipelines on a gold set, checking thresholds;
- :mod:`~sciqa.harness.reporting`: the JSON, Markdown and PNG reports.

The library (``sciqa`` outside this package and the CLI) never imports it; a test walks the
imports to keep it so.
"""
