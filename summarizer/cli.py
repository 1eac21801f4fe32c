"""Command line: ``summarizer run``, ``summarizer eval``, ``summarizer serve``.

Thin: parse, call the library, print. Results go to files/stdout; progress and
logs to stderr; user mistakes end with a one-line error, no traceback.
"""

from __future__ import annotations

import sys

import click

from . import __version__
from .errors import SummarizerError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="summarizer")
def app() -> None:
    """Grounded summaries of official reports: achievements, shortcomings, plans, figures."""


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning SummarizerError into a clean message."""
    try:
        app.main(args=argv, prog_name="summarizer", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except SummarizerError as e:
        click.echo(f"error: {e}", err=True)
        return 2
    except SystemExit as e:  # click's own exits (e.g. --help)
        return int(e.code or 0)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
