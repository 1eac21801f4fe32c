"""Ingest: reading a report into plain text with exact offsets.

Owns loading files (.txt/.md/.html/.docx/.pdf, any encoding) into a
:class:`~summarizer.ingest.documents.Document`, recognising page furniture
(navigation, captions, trailers) and guessing the report's title, issuer and
year from its own text.

May import: ``summarizer.errors``, ``summarizer.schema``, ``summarizer.settings``.
"""
