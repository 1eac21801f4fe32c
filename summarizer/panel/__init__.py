"""Panel: indicators across a finished batch — targets set against the outcomes reported.

Reads the per-document JSON outputs a batch run left on disk (never the batch
code itself) one at a time; tagged figures stream to ``panel.csv`` and only the
first headline value per issuer, indicator, measure, kind and year stays in
memory. It writes:

    panel.csv               one row per tagged figure
    targets_vs_actuals.csv  a target in one report, the outcome in the next
    documents.csv           issuer and year per document, checked against a catalogue
    panel.html              one self-contained page: charts, tables, evidence

Modules::

    collect.py   stream the outputs -> PanelRow / DocRecord (no whole document kept)
    issuers.py   one issuer key per jurisdiction; the catalogue check
    pairs.py     targets vs actuals and whether each target was met
    html.py      the page (inline SVG, no scripts from anywhere)
    build.py     build_panel(): what ``summarizer panel`` and ``summarizer.panel`` call

May import: ``summarizer.errors``, ``summarizer.schema``, ``summarizer.figures``.
"""

from __future__ import annotations

from .build import PanelResult, build_panel

__all__ = ["PanelResult", "build_panel"]
