"""Head-to-head with google's langextract: same endpoint, same model, same documents, one run.

Both tools talk to one OpenAI-compatible endpoint through a metering proxy
(``_meter.py``), which counts for either tool the same way: calls, prompt and
completion tokens (the endpoint's own ``usage``) and the seconds a call was in
flight. By default the endpoint is the embedded llama.cpp server with the
embedded model (Qwen2.5-Coder-0.5B-Instruct Q4_K_M), started here; ``--base-url``
/ ``--model`` / ``--api-key`` point both tools at any other endpoint.

For every document, in turn, it runs:

* ``langextract`` — ``lx.extract`` with the fair setup of ``_langextract_setup.py``;
* ``summarizer:judgement`` — this project, the model judging only the units
  whose role the structure leaves open (the default with the embedded model);
* ``summarizer:all`` — this project, the model summarising every unit (the
  default with a configured endpoint).

Every tool's output is scored by this project's eval harness against the
dataset's gold (item P/R/F1, localisation F1, figure recall), and its figures
are checked against the numbers the regex finds in the source: *not in
evidence* (the harness's ungrounded count: the stated value is not among the
numbers inside the item's evidence span) and *not in source* (nowhere in the
document). Extractions langextract could not align to the text are scored
with an empty span (they cannot match gold) and counted as ``unaligned``.

Run::

    .venv/bin/pip install -e '.[bench]'      # langextract[openai]==1.7.1, benchmark only
    .venv/bin/python benchmarks/vs_langextract.py [--docs 000,003] [--tools ...]
        [--base-url URL --model NAME --api-key KEY] [--out PATH]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import _common  # benchmarks/ is sys.path[0] when run as a script
import _langextract_setup as lxs
from _meter import Meter

from summarizer import DocumentSummary, Settings, summarize
from summarizer.evaluation.dataset import Dataset, load_dataset
from summarizer.evaluation.metrics import evaluate
from summarizer.figures.numbers import find_figures, parse_figure, values_match

TOOLS = ("langextract", "summarizer:judgement", "summarizer:all")
OURS = "summarizer:judgement"  #: the row the ratios are taken for (the embedded default)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default=str(_common.ROOT / "evals" / "seed.yaml"))
    p.add_argument("--docs", default="", help="doc-id prefixes to run, e.g. 000,003 (all)")
    p.add_argument("--tools", default=",".join(TOOLS), help=f"subset of {','.join(TOOLS)}")
    p.add_argument("--base-url", default="", help="endpoint for both tools (default: embedded)")
    p.add_argument("--model", default="", help="model name at --base-url")
    p.add_argument("--api-key", default="unused", help="key for --base-url")
    p.add_argument("--out", type=Path, default=_common.default_out("vs_langextract"))
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("absl", "langextract", "httpx", "openai", "instructor"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)

    tools = [t for t in args.tools.split(",") if t]
    if unknown := set(tools) - set(TOOLS):
        p.error(f"unknown tools {sorted(unknown)}; choose from {TOOLS}")
    dataset = _subset(load_dataset(args.dataset), args.docs)
    with ExitStack() as stack:
        settings = Settings.from_env(backend="llm", cache=False)
        if args.base_url:
            settings = settings.with_(
                base_url=args.base_url, model=args.model, api_key=args.api_key
            )
        else:  # the embedded server, started once for both tools
            from summarizer.endpoint.localmodel import local_endpoint

            live = stack.enter_context(local_endpoint(settings.with_(base_url="")))
            settings = settings.with_(base_url=live.url, model=live.model, api_key="")
        embedded = not args.base_url
        meter = stack.enter_context(Meter(settings.base_url, llama_cpp_dialect=embedded))
        print(f"endpoint {settings.base_url} model {settings.model}", file=sys.stderr)
        runs = _run_all(dataset, tools, meter, settings)
    result = _score(dataset, tools, runs, meter, settings)
    _print(result)
    _common.write_json(args.out, result)
    _save_predictions(args.out.with_suffix(""), runs)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _subset(dataset: Dataset, prefixes: str) -> Dataset:
    wanted = [x for x in prefixes.split(",") if x]
    if not wanted:
        return dataset
    cases = [c for c in dataset.cases if any(c.doc_id.startswith(w) for w in wanted)]
    return dataset.model_copy(update={"cases": cases})


def _run_all(
    dataset: Dataset, tools: list[str], meter: Meter, settings: Settings
) -> dict[str, dict[str, dict[str, Any]]]:
    """tool -> doc id -> {summary, wall, unaligned, stated}."""
    runs: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in tools}
    for case in dataset.cases:
        for tool in tools:
            print(f"{case.doc_id} {tool} …", file=sys.stderr, flush=True)
            with meter.tagged(f"{tool}|{case.doc_id}"):
                t0 = time.perf_counter()
                runs[tool][case.doc_id] = _run_one(tool, case, meter.url, settings)
                runs[tool][case.doc_id]["wall"] = time.perf_counter() - t0
            tally = meter.tally(f"{tool}|{case.doc_id}")
            print(
                f"  {runs[tool][case.doc_id]['wall']:.1f} s, {tally.calls} calls, "
                f"{tally.prompt_tokens}+{tally.completion_tokens} tokens",
                file=sys.stderr,
                flush=True,
            )
    return runs


def _run_one(tool: str, case: Any, url: str, settings: Settings) -> dict[str, Any]:
    if tool == "langextract":
        annotated = lxs.extract(
            case.text,
            base_url=url,
            model=settings.model,
            api_key=settings.api_key.get_secret_value() or "unused",
        )
        summary, unaligned = lxs.to_summary(case.doc_id, case.text, annotated, model=settings.model)
        return {"summary": summary, "unaligned": unaligned, "stated": lxs.stated_figures(annotated)}
    scope = tool.split(":", 1)[1]
    summary = summarize(
        case.doc_path,
        settings=settings.with_(
            base_url=url, api_key=settings.api_key.get_secret_value() or "unused"
        ),
        model_scope=scope,
    )
    stated = [f.text for it in summary.items() for f in it.figures]
    return {"summary": summary, "unaligned": 0, "stated": stated}


def _not_in_source(text: str, summary: DocumentSummary) -> int:
    """Stated figures whose value is nowhere among the numbers the regex finds in ``text``."""
    values = [f.value for f in find_figures(text)]
    return sum(
        1
        for it in summary.items()
        for f in it.figures
        if not any(values_match(f.value, v) for v in values)
    )


def _score(
    dataset: Dataset,
    tools: list[str],
    runs: dict[str, dict[str, dict[str, Any]]],
    meter: Meter,
    settings: Settings,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "machine": _common.machine(),
        "endpoint": "embedded llama.cpp" if "127.0.0.1" in settings.base_url else "configured",
        "model": settings.model,
        "dataset": dataset.name,
        "documents": dataset.doc_ids,
        "tools": {},
    }
    for tool in tools:
        predictions = {d: r["summary"] for d, r in runs[tool].items()}
        report = evaluate(dataset, predictions)
        per_doc = []
        for case in dataset.cases:
            r = runs[tool][case.doc_id]
            tally = meter.tally(f"{tool}|{case.doc_id}")
            doc = next(d for d in report.documents if d.doc_id == case.doc_id)
            per_doc.append(
                {
                    "doc": case.doc_id,
                    "f1": doc.items.f1,
                    "predicted_items": len(r["summary"].items()),
                    "unaligned": r["unaligned"],
                    "wall_s": round(r["wall"], 2),
                    "model_busy_s": round(tally.busy_seconds, 2),
                    "calls": tally.calls,
                    "failed_calls": tally.failed,
                    "prompt_tokens": tally.prompt_tokens,
                    "completion_tokens": tally.completion_tokens,
                    "figures_stated": len(r["stated"]),
                    "figures_unparseable": sum(
                        1 for s in r["stated"] if parse_figure(str(s)) is None
                    ),
                    "figures_stated_text": [str(s) for s in r["stated"]],
                    "figures_not_in_evidence": len(doc.ungrounded),
                    "figures_not_in_source": _not_in_source(case.text, r["summary"]),
                }
            )
        t = report.totals
        n = len(per_doc)
        out["tools"][tool] = {
            "precision": t.items.precision,
            "recall": t.items.recall,
            "f1": t.items.f1,
            "categories": {c: s.f1 for c, s in t.categories.items()},
            "localisation_f1": t.localisation.f1,
            "figure_recall": t.figures.recall,
            "per_doc_mean": {
                k: sum(d[k] for d in per_doc) / n
                for k in (
                    "wall_s",
                    "model_busy_s",
                    "calls",
                    "prompt_tokens",
                    "completion_tokens",
                    "figures_stated",
                    "figures_not_in_evidence",
                    "figures_not_in_source",
                    "unaligned",
                )
            },
            "documents": per_doc,
        }
    if "langextract" in out["tools"]:
        base = out["tools"]["langextract"]
        for tool in tools:
            if tool == "langextract":
                continue
            mine = out["tools"][tool]
            mb, bb = mine["per_doc_mean"], base["per_doc_mean"]
            mine["ratio_to_langextract"] = {
                "f1": _ratio(mine["f1"], base["f1"]),
                "tokens": _ratio(
                    mb["prompt_tokens"] + mb["completion_tokens"],
                    bb["prompt_tokens"] + bb["completion_tokens"],
                ),
                "wall_s": _ratio(mb["wall_s"], bb["wall_s"]),
                "model_busy_s": _ratio(mb["model_busy_s"], bb["model_busy_s"]),
            }
    return out


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def _print(result: dict[str, Any]) -> None:
    rows = []
    for tool, r in result["tools"].items():
        m = r["per_doc_mean"]
        rows.append(
            [
                tool,
                r["precision"],
                r["recall"],
                r["f1"],
                r["figure_recall"],
                round(m["prompt_tokens"]),
                round(m["completion_tokens"]),
                round(m["calls"], 1),
                round(m["wall_s"], 1),
                round(m["model_busy_s"], 1),
                round(m["figures_stated"], 1),
                round(m["figures_not_in_evidence"], 1),
                round(m["figures_not_in_source"], 1),
            ]
        )
    headers = [
        "tool",
        "P",
        "R",
        "F1",
        "fig-R",
        "prompt/doc",
        "compl/doc",
        "calls/doc",
        "wall s/doc",
        "model s/doc",
        "figs/doc",
        "not in evid",
        "not in src",
    ]
    print(f"{result['model']} on {len(result['documents'])} documents of {result['dataset']}")
    print(_common.table(headers, rows))
    for tool, r in result["tools"].items():
        if "ratio_to_langextract" in r:
            q = r["ratio_to_langextract"]
            print(
                f"{tool} ÷ langextract: F1 ×{q['f1']}, tokens ×{q['tokens']}, "
                f"wall s ×{q['wall_s']}, model s ×{q['model_busy_s']}"
            )


def _save_predictions(folder: Path, runs: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Each tool's DocumentSummary per document, to re-score with ``summarizer eval --pred``."""
    for tool, docs in runs.items():
        target = folder / tool.replace(":", "-")
        target.mkdir(parents=True, exist_ok=True)
        for doc_id, r in docs.items():
            (target / f"{doc_id}.json").write_text(
                r["summary"].model_dump_json(indent=2) + "\n", encoding="utf-8"
            )


if __name__ == "__main__":
    sys.exit(main())
