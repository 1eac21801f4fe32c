"""Endpoint: talking to an OpenAI-compatible model.

Owns the resolved endpoint (:mod:`.resolved`: URL, model, mode, scope, token
counter, built once when a backend opens), the client (openai + instructor; the
SDK's own per-request costs in :mod:`.sdk`), transport retries, instructor modes,
wire models, redaction of secrets, rate limits, token counting, the response
cache, and the embedded llama.cpp server with its model files.

Knows nothing of documents or items. May import: ``summarizer.schema``,
``summarizer.settings``, ``summarizer.errors``.
"""
