"""Extract: units -> grounded items, by rules or by a model.

Owns the rules backend, the model backend (:mod:`.llm`: chunking, prompting,
one strategy per model task in :mod:`.tasks`), grounding (evidence and figures
from the cited units) and validation of what a model says (one grounding check,
:func:`.validation.grounding_problems`, for the validator, the repair and the
final item check).

May import: ``summarizer.endpoint``, ``summarizer.structure``,
``summarizer.figures``, ``summarizer.ingest``, ``summarizer.schema``,
``summarizer.settings``, ``summarizer.errors``.
"""
