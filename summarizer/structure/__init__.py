"""Structure: headings, sections, units and their roles, deterministically.

Owns the heading families (一、/(一)/1、/一是…), the outline of sections and
units with character offsets, and the role (review, problems, plan…) each
section plays.

May import: ``summarizer.ingest``, ``summarizer.figures``, ``summarizer.schema``,
``summarizer.errors``.
"""
