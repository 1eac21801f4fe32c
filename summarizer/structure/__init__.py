"""Structure: headings, sections, units and their roles, deterministically.

Owns the heading families (一、/(一)/1、/一是…), the outline of sections and
units with character offsets, the role (review, problems, plan…) each
section plays, and the passages found by their wording rather than a heading
(problems passages, thanks, closing calls, lead-ins: ``passages.py``).

May import: ``summarizer.ingest``, ``summarizer.figures``, ``summarizer.schema``,
``summarizer.errors``.
"""
