"""Batch: folders of reports, resumable, concurrent, locally or on Ray.

Owns the batch run (:mod:`.folder`), its engines, the manifest that makes it
resumable, the progress reporter and the exports (CSV/XLSX) written as
documents finish.

May import: ``summarizer.pipeline`` and everything below it; never
``summarizer.evaluation`` or ``summarizer.cli``.
"""
