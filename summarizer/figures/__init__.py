"""Figures: the number finder and its normalised values.

Owns finding every quantity in a text (Arabic and Chinese numerals, units,
qualifiers) with its span, and comparing values; ``conventions.py`` adds the
quantities written in shapes of their own (rankings, thresholds, ratios…).

``indicators.py`` tags the figures that state a statistical indicator (name,
canonical key, measure, kind, period); ``vocabulary.py`` reads the shipped
``indicators.yaml`` it works from.

May import: ``summarizer.errors`` and ``summarizer.schema``.
"""
