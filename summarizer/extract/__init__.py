"""Extract: units -> grounded items, by rules or by a model.

Owns the rules backend, the model backend (chunking, prompting, response
models), grounding (evidence and figures from the cited units) and validation
of what a model says.

May import: ``summarizer.endpoint``, ``summarizer.structure``,
``summarizer.figures``, ``summarizer.ingest``, ``summarizer.schema``,
``summarizer.settings``, ``summarizer.errors``.
"""
