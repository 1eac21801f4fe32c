"""Batch: folders of reports, resumable, concurrent, locally or on Ray.

Owns the batch run (:mod:`.folder`), its engines (threads, worker processes
sharing a batch among CPUs, Ray), the manifest that makes it
resumable, the progress reporter and the exports (CSV, XLSX, Parquet) and the report,
written as documents finish, in memory that does not grow with the batch.

May import: ``summarizer.pipeline`` and everything below it; never
``summarizer.evaluation`` or ``summarizer.cli``.
"""
