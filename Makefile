# The two commands (see README):
#   make summaries   set up, then summarise the seed reports with the embedded default
#   make test        set up, then run the test suite
.PHONY: setup summaries test lint schemas eval

VENV := .venv/bin

setup:
	bash scripts/setup.sh

summaries: setup
	$(VENV)/summarizer run evals/seed/docs -o summaries

test: setup
	$(VENV)/python -m pytest

lint:
	$(VENV)/ruff check summarizer tests
	$(VENV)/mypy
	$(VENV)/lint-imports

schemas:
	$(VENV)/python -m summarizer.schema

eval:
	$(VENV)/summarizer eval evals/seed.yaml --backend rules -o eval-out
