"""Figures: the number finder and its normalised values.

Owns finding every quantity in a text (Arabic and Chinese numerals, units,
qualifiers) with its span, and comparing values; ``conventions.py`` adds the
quantities written in shapes of their own (rankings, thresholds, ratios…).

May import: ``summarizer.errors`` only.
"""
