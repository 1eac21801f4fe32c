"""summarizer: grounded summaries of official annual reports."""

__version__ = "0.1.0"
