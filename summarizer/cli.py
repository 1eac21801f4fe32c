"""Command line: ``summarizer run``, ``summarizer eval``, ``summarizer serve``.

Thin: parse, call the library, print. Results go to files/stdout; progress and
logs to stderr; user mistakes end with a one-line error, no traceback.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from ._version import __version__
from .errors import SummarizerError
from .settings import BACKENDS, MODEL_SCOPES, MODES, Settings

log = logging.getLogger("summarizer")


#: Libraries whose own logs are noise unless debugging: instructor logs an ERROR
#: when its re-asks run out, which this package handles (repair or fallback,
#: recorded on the item); httpx logs every request at INFO.
_LIBRARY_LOGGERS = ("instructor", "httpx", "httpcore", "openai")


class _OwnLogsOnly(logging.Filter):
    """Without ``-v``: below WARNING, only this package's records pass, whatever a
    library calls its logger (``httpx2``, ``httpcore2``, ``urllib3``...)."""

    verbose = False

    def filter(self, record: logging.LogRecord) -> bool:
        if self.verbose or record.levelno >= logging.WARNING:
            return True
        return record.name == "summarizer" or record.name.startswith("summarizer.")


_FILTER = _OwnLogsOnly()


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for handler in logging.getLogger().handlers:  # the one basicConfig made, not a host's
        if type(handler) is logging.StreamHandler and _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    _library_logging(debug=bool(verbose))


def _library_logging(*, debug: bool) -> None:
    _FILTER.verbose = debug
    for name in _LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.CRITICAL)


def _log_callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value:
        root = ctx.find_root()
        root.obj = root.obj or {}
        if param.name == "quiet":
            root.obj["quiet"] = True
            logging.getLogger().setLevel(logging.WARNING)
        else:
            logging.getLogger().setLevel(logging.DEBUG)
            _library_logging(debug=True)
    return value


def log_options(f: Any) -> Any:
    """``-q/--quiet`` and ``-v/--verbose``, accepted after the command name too."""
    f = click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=_log_callback,
        help="Only errors on stderr.",
    )(f)
    return click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_log_callback,
        help="Debug logs on stderr.",
    )(f)


def model_options(f: Any) -> Any:
    """Options shared by every command that may call a model."""
    opts = [
        click.option(
            "--backend",
            type=click.Choice(BACKENDS),
            default=None,
            help="rules (no model) or llm (OpenAI-compatible endpoint; the embedded "
            "local model when no --base-url is set). [env SUMMARIZER_BACKEND]",
        ),
        click.option(
            "--base-url",
            default=None,
            help="OpenAI-compatible endpoint, e.g. https://api.openai.com/v1. "
            "[env OPENAI_BASE_URL]",
        ),
        click.option(
            "--model", default=None, help="Model name at the endpoint. [env SUMMARIZER_MODEL]"
        ),
        click.option(
            "--api-key",
            default=None,
            help="API key (prefer the OPENAI_API_KEY environment variable).",
        ),
        click.option(
            "--mode",
            type=click.Choice(MODES),
            default=None,
            help="instructor mode; auto picks json_schema for local servers, tools for "
            "hosted APIs.",
        ),
        click.option(
            "--model-scope",
            type=click.Choice(MODEL_SCOPES),
            default=None,
            help="What the model is asked: all (category, summary and figures of every "
            "unit) or judgement (only the category of units no heading or wording "
            "settles; the rest keep their structural category and lead clause). auto: "
            "judgement for the embedded model, all for a configured endpoint. "
            "[env SUMMARIZER_MODEL_SCOPE]",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 256),
            default=None,
            help="Requests in flight at once.",
        ),
        click.option(
            "--requests-per-minute",
            type=click.IntRange(0),
            default=None,
            help="Rate limit on model requests (0: none). [env SUMMARIZER_REQUESTS_PER_MINUTE]",
        ),
        click.option(
            "--tokens-per-minute",
            type=click.IntRange(0),
            default=None,
            help="Rate limit on prompt tokens sent (0: none). [env SUMMARIZER_TOKENS_PER_MINUTE]",
        ),
        click.option(
            "--no-cache", is_flag=True, default=False, help="Do not use the response cache."
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def settings_from(opts: dict[str, Any]) -> Settings:
    """Settings from the environment, overridden by the command-line options given."""
    return Settings.from_env(
        backend=opts.get("backend"),
        base_url=opts.get("base_url"),
        model=opts.get("model"),
        api_key=opts.get("api_key"),
        mode=opts.get("mode"),
        model_scope=opts.get("model_scope"),
        concurrency=opts.get("concurrency"),
        cache=False if opts.get("no_cache") else None,
        requests_per_minute=opts.get("requests_per_minute"),
        tokens_per_minute=opts.get("tokens_per_minute"),
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="summarizer")
@click.option("-v", "--verbose", count=True, help="Debug logs on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def app(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Grounded summaries of official reports: achievements, shortcomings and plans,
    with their figures, every one tied to the exact text it comes from.

    \b
    Examples:
      summarizer run evals/seed/docs -o out            # embedded defaults
      summarizer run reports/ -o out --backend rules   # no model at all
      summarizer eval evals/seed.yaml --backend rules  # grade against gold
      summarizer panel out                             # targets vs outcomes of a run
    """
    _setup_logging(verbose, quiet)
    ctx.obj = {"quiet": quiet}
    ctx.ensure_object(dict)


@app.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("summaries"),
    show_default=True,
    help="Output folder.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Where documents run: local threads, or Ray Data (pip install 'summarizer[ray]').",
)
@click.option(
    "--ray-address",
    default=None,
    help="Ray cluster for --engine ray: auto, ray://HOST:10001 (default: a local Ray).",
)
@click.option(
    "--accept-degraded",
    is_flag=True,
    default=False,
    help="Keep documents a previous run left degraded (some units fell back because the "
    "endpoint failed) instead of redoing them.",
)
@click.option("--redo", is_flag=True, default=False, help="Redo every document, finished or not.")
@model_options
@log_options
@click.pass_context
def run(
    ctx: click.Context,
    paths: tuple[Path, ...],
    out_dir: Path,
    engine: str,
    ray_address: str | None,
    accept_degraded: bool,
    redo: bool,
    **opts: Any,
) -> None:
    """Summarise documents (files or folders of .txt .md .html .docx .pdf).

    Writes OUT/<name>.json per document, OUT/<name>.text.txt (the text every
    offset refers to), OUT/summaries.jsonl, OUT/items.csv, OUT/items.xlsx
    (items-2.xlsx… past Excel's row limit) and OUT/items.parquet (one row per
    item), OUT/manifest.jsonl, and OUT/report.md and OUT/report.html (every
    document's summaries; in the HTML a click on a summary shows its evidence
    in the text). Run it again
    with the same OUT to resume: finished documents are skipped (no model
    calls); failed, changed and degraded ones (some units fell back because
    the endpoint failed) are redone, and so is everything made under another
    configuration (model, sampling, prompts, package version). Exits 1 when
    any document failed, 3 when none failed but some are degraded (the others
    are still written); the last line says so.
    """
    from .batch.progress import ProgressReporter
    from .session import Summarizer

    quiet = ctx.obj["quiet"]
    with Summarizer(settings_from(opts)) as session, ProgressReporter(quiet=quiet) as progress:
        result = session.summarize_folder(
            list(paths),
            out_dir,
            on_progress=progress,
            engine=engine,
            ray_address=ray_address,
            accept_degraded=accept_degraded,
            redo=redo,
        )
    if not quiet:
        click.echo(
            f"outputs in {out_dir}/ (report: {out_dir / 'report.md'}, report.html, "
            "items.csv, items.xlsx, items.parquet); " + result.reuse_line(),
            err=True,
        )
    if result.degraded:  # the last line, even with -q: the run is not done
        first = result.degraded[0].degraded_reason or "the endpoint failed"
        click.echo(
            f"{len(result.degraded)} of {result.documents} documents degraded (the "
            f"endpoint failed; first: {first}): run the same command again to resume them "
            "(--accept-degraded keeps them as they are)",
            err=True,
        )
    if result.failed:
        ctx.exit(1)
    if result.degraded:
        ctx.exit(3)


@app.command(name="eval")
@click.argument("dataset", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--pred",
    "pred_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Grade existing predictions (<doc>.json files) instead of running.",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("eval-out"),
    show_default=True,
    help="Where eval_report.{json,md,html} are written.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option(
    "--baseline",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A previous eval_report.json: print deltas, exit 1 on regression.",
)
@click.option(
    "--tolerance",
    type=float,
    default=0.01,
    show_default=True,
    help="Allowed drop in F1 / figure recall before --baseline fails.",
)
@model_options
@log_options
@click.pass_context
def eval_cmd(
    ctx: click.Context,
    dataset: Path,
    pred_dir: Path | None,
    out_dir: Path,
    as_json: bool,
    baseline: Path | None,
    tolerance: float,
    **opts: Any,
) -> None:
    """Grade a run against gold annotations.

    DATASET is a dataset YAML (e.g. evals/seed.yaml) or a folder with docs/ and
    gold/. Runs the pipeline (or reads --pred), prints a table per document and
    in total, and writes OUT/eval_report.json, .md and .html (gold and
    predicted spans side by side). With --baseline, exits 1 when F1 or figure
    recall drop by more than --tolerance, or any figure is ungrounded.
    """
    from .evaluation import run_eval
    from .session import Summarizer

    with Summarizer(settings_from(opts)) as session:  # opened only when a document needs it
        report, comparison = run_eval(
            dataset,
            predictions_dir=pred_dir,
            out_dir=out_dir,
            summarize=None if pred_dir is not None else session.summarize,
            baseline=baseline,
            tolerance=tolerance,
        )
    click.echo(report.model_dump_json(indent=2) if as_json else report.to_table())
    if comparison is not None:
        click.echo(comparison.to_table(), err=as_json)
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {out_dir}/eval_report.json, .md and .html", err=True)
    if comparison is not None and comparison.regressions:
        ctx.exit(1)


@app.command(name="panel")
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    "dest",
    type=click.Path(path_type=Path),
    default=None,
    help="Where panel.csv, targets_vs_actuals.csv, documents.csv and panel.html go "
    "(default: OUT itself).",
)
@click.option(
    "--catalogue",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A CSV (file, county, year) to check each report's issuer and year against "
    "(default: index.csv beside the source documents or one folder up, if any).",
)
@log_options
@click.pass_context
def panel_cmd(ctx: click.Context, out: Path, dest: Path | None, catalogue: Path | None) -> None:
    """Targets against outcomes across a finished run's reports.

    OUT is the output folder of `summarizer run`. Reads its <doc>.json files one
    at a time and keeps only the figures tagged as indicators.

    \b
    Example:
      summarizer run ../shared/panel/docs -o out --backend rules && summarizer panel out
    """
    from .panel import build_panel

    result = build_panel(out, dest, catalogue=catalogue)
    if ctx.find_root().obj.get("quiet"):
        return
    years = result.years_with_pairs
    span = f"{years[0]}-{years[-1]}" if years else "-"
    click.echo(
        f"panel: {result.documents} documents, {result.tagged} tagged figures, "
        f"{result.pairs} target/actual pairs ({result.met} met, {result.not_met} not met) "
        f"for {result.issuers_with_pairs} issuers, years {span}; "
        f"{result.disagreements} documents disagree with the catalogue",
        err=True,
    )
    click.echo(f"wrote {', '.join(str(p) for p in result.files)}", err=True)


@app.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", type=int, default=8080, show_default=True, help="TCP port.")
@log_options
def serve(host: str, port: int) -> None:
    """Run the embedded llama.cpp OpenAI-compatible server in the foreground.

    Uses SUMMARIZER_LOCAL_MODEL, or the model the `local` extra installs. Point
    other tools (or `summarizer run --base-url`) at the printed address.
    """
    from .endpoint.localmodel import serve as serve_local

    code = serve_local(Settings.from_env(), host=host, port=port)
    if code:
        raise click.exceptions.Exit(code)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning SummarizerError into a clean message."""
    try:
        rv = app.main(args=argv, prog_name="summarizer", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except SummarizerError as e:
        click.echo(f"error: {e}", err=True)
        return 2
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
