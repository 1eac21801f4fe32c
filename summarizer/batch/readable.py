"""The report a person reads: ``report.md`` and ``report.html`` of a batch.

Per document: its title, issuer and year, then its achievements, shortcomings
and plans, each as its summary with its figures. In the HTML page every
summary is a link: clicking it highlights the item's evidence in the
document's text, shown beside the list, and scrolls to it (a few lines of
inline script; the page is one self-contained file: inline CSS and script, no
external asset, works offline). The document text is escaped; so is every
string from a summary.

Both files are written streaming, one document at a time as the batch writes
it (:class:`ReadableStream`, fed in input order by
:class:`~summarizer.batch.in_order.InOrderOutputs`; the text from the
``<name>.text.txt`` its ``metadata.text_path`` names), so memory does not grow
with the batch and nothing is left to do for them when the last document
finishes but the run's header. They are written to temporary files and moved
into place at the end, so a reader never sees half a report.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from collections.abc import Iterable
from contextlib import ExitStack
from itertools import pairwise
from pathlib import Path
from typing import IO

from ..schema import CATEGORIES, CATEGORY_FIELDS, Category, DocumentSummary, Item

__all__ = [
    "CATEGORY_TITLES",
    "MAX_FIGURES_SHOWN",
    "ReadableStream",
    "write_readable_reports",
]

#: Section title of each category (Chinese first: the reports are Chinese).
CATEGORY_TITLES: dict[Category, str] = {
    "achievement": "成效 Achievements",
    "shortcoming": "问题 Shortcomings",
    "plan": "计划 Plans",
}
MAX_FIGURES_SHOWN = 8  #: figures listed after a summary; the rest are counted

_CSS = """
body { font-family: system-ui, "Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei",
       sans-serif; margin: 0 1.5em 2em; color: #222; }
h1 { font-size: 1.4em; } .counts { font-size: .85em; color: #555; }
section.doc { border-top: 2px solid #bbb; margin-top: 1.5em; padding-top: .5em; }
section.doc h2 { font-size: 1.2em; margin: .3em 0; } .meta { color: #555; margin: .2em 0 .6em; }
.cols { display: grid; grid-template-columns: minmax(18em, 2fr) 3fr; gap: 1.2em;
        align-items: start; }
.cat h3 { font-size: 1em; margin: .8em 0 .3em; }
.cat.achievement h3 { color: #2e7d32; } .cat.shortcoming h3 { color: #c62828; }
.cat.plan h3 { color: #1565c0; }
.cat ol { margin: 0; padding-left: 1.6em; } .cat li { margin: .25em 0; line-height: 1.5; }
a.summ { color: inherit; text-decoration: none; border-bottom: 1px dotted #888; cursor: pointer; }
a.summ:hover, a.summ.current { background: #fff3b0; }
.figs { color: #6a3d9a; font-size: .85em; margin-left: .3em; }
.none { color: #888; font-style: italic; }
.text { white-space: pre-wrap; line-height: 1.7; font-size: .9em; border: 1px solid #ddd;
        padding: .6em; background: #fff; overflow-wrap: anywhere; max-height: 80vh;
        overflow-y: auto; position: sticky; top: .5em; }
mark { background: #eef3e8; color: inherit; border-radius: 2px; }
mark.shortcoming { background: #f8eaea; } mark.plan { background: #e8eef8; }
mark.active { background: #ffd54f; outline: 2px solid #e65100; }
"""

_SCRIPT = """
function showEvidence(id) {
  var anchor = document.getElementById(id);
  if (!anchor) return false;
  var doc = anchor.closest('section.doc');
  document.querySelectorAll('mark.active').forEach(function (m) { m.classList.remove('active'); });
  document.querySelectorAll('a.summ.current').forEach(function (a) {
    a.classList.remove('current');
  });
  var item = anchor.getAttribute('data-item');
  doc.querySelectorAll('mark[data-items~="' + item + '"]').forEach(function (m) {
    m.classList.add('active');
  });
  var link = doc.querySelector('a.summ[data-item="' + item + '"]');
  if (link) link.classList.add('current');
  var box = anchor.closest('.text');
  if (box) box.scrollTop = Math.max(0, anchor.offsetTop - box.offsetTop - 40);
  return true;
}
document.addEventListener('click', function (e) {
  var a = e.target.closest('a.summ');
  if (!a) return;
  e.preventDefault();
  var id = a.getAttribute('href').slice(1);
  if (showEvidence(id)) history.replaceState(null, '', '#' + id);
});
window.addEventListener('load', function () {
  if (location.hash) showEvidence(location.hash.slice(1));
});
"""


def _e(s: object) -> str:
    return html.escape(str(s), quote=True)


def _figures_shown(item: Item) -> list[str]:
    texts = [f.text for f in item.figures]
    if len(texts) > MAX_FIGURES_SHOWN:
        return [*texts[:MAX_FIGURES_SHOWN], f"+{len(texts) - MAX_FIGURES_SHOWN}"]
    return texts


def _meta_line(summary: DocumentSummary, name: str) -> str:
    issuer = summary.issuer or "-"
    year = str(summary.year) if summary.year is not None else "-"
    return f"Issuer 发布: {issuer} · Year 年份: {year} · File: {name}"


def _md_document(summary: DocumentSummary, name: str) -> str:
    lines = [f"## {summary.title or name}", "", _meta_line(summary, name), ""]
    for c in CATEGORIES:
        items: list[Item] = getattr(summary, CATEGORY_FIELDS[c])
        lines.append(f"### {CATEGORY_TITLES[c]} ({len(items)})")
        lines.append("")
        if not items:
            lines += ["_(none)_", ""]
            continue
        for it in items:
            figs = _figures_shown(it)
            tail = f" — {'、'.join(figs)}" if figs else ""
            lines.append(f"- {it.summary.strip()}{tail}")
        lines.append("")
    return "\n".join(lines) + "\n"


def _highlight(text: str, items: list[Item], doc_key: str) -> str:
    """``text`` escaped; every evidence span in a ``<mark>`` naming its items.

    The first span of each item opens with an anchor ``ev-<doc>-<item>`` that
    the item's link points to.
    """
    n = len(text)
    spans = [
        (s.start, min(s.end, n), it, k)
        for it in items
        for k, s in enumerate(it.evidence)
        if 0 <= s.start < min(s.end, n)
    ]
    bounds = sorted({0, n, *(a for a, _b, _i, _k in spans), *(b for _a, b, _i, _k in spans)})
    out = []
    for a, b in pairwise(bounds):
        anchors = "".join(
            f'<span class="anchor" id="ev-{doc_key}-{_e(it.id)}" data-item="{_e(it.id)}"></span>'
            for s, _end, it, k in spans
            if s == a and k == 0
        )
        seg = _e(text[a:b])
        covering = [it for s, e, it, _k in spans if s <= a and b <= e]
        if not covering:
            out.append(anchors + seg)
            continue
        ids = " ".join(dict.fromkeys(_e(it.id) for it in covering))
        out.append(
            f'{anchors}<mark class="{_e(covering[0].category)}" data-items="{ids}">{seg}</mark>'
        )
    return "".join(out)


def _html_document(summary: DocumentSummary, name: str, text: str | None, index: int) -> str:
    key = f"d{index}"
    lists = []
    for c in CATEGORIES:
        items: list[Item] = getattr(summary, CATEGORY_FIELDS[c])
        rows = []
        for it in items:
            figs = _figures_shown(it)
            fig_html = f'<span class="figs">{_e("、".join(figs))}</span>' if figs else ""
            link = (
                f'<a class="summ" href="#ev-{key}-{_e(it.id)}" data-item="{_e(it.id)}">'
                f"{_e(it.summary.strip())}</a>"
                if text is not None
                else _e(it.summary.strip())
            )
            rows.append(f"<li>{link}{fig_html}</li>")
        body = f"<ol>{''.join(rows)}</ol>" if rows else '<p class="none">(none)</p>'
        lists.append(
            f'<div class="cat {c}" data-category="{c}">'
            f"<h3>{_e(CATEGORY_TITLES[c])} ({len(items)})</h3>{body}</div>"
        )
    if text is None:
        pane = '<div class="text none">(the document text is not in the output folder)</div>'
    else:
        pane = f'<div class="text" id="text-{key}">{_highlight(text, summary.items(), key)}</div>'
    return (
        f'<section class="doc" id="{key}" data-name="{_e(name)}">'
        f"<h2>{_e(summary.title or name)}</h2>"
        f'<p class="meta">{_e(_meta_line(summary, name))}</p>'
        f'<div class="cols"><div class="lists">{"".join(lists)}</div>{pane}</div></section>\n'
    )


def _read_text(out: Path, summary: DocumentSummary) -> str | None:
    if not summary.metadata.text_path:
        return None
    try:
        return (out / summary.metadata.text_path).read_text(encoding="utf-8")
    except OSError:
        return None


class ReadableStream:
    """``report.md`` and ``report.html`` written as documents finish, in input order.

    :meth:`add` appends a document to both (its text read from
    ``<name>.text.txt``); :meth:`close` puts the run's header (known only at the
    end) before the documents of ``report.md`` and moves both into place. Until
    then they are temporary files: a reader never sees half a report, and
    :meth:`discard` leaves an earlier one as it was.
    """

    def __init__(self, out: Path) -> None:
        self._out = out
        self._count = 0
        self._stack = ExitStack()
        try:
            self._md_docs, self._md_docs_path = self._temp("report.md")
            self._page, self._page_path = self._temp("report.html")
        except BaseException:
            self.discard()
            raise
        self._page.write(
            '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Summarizer report</title><style>{_CSS}</style></head><body>\n"
            "<h1>Summarizer report 摘要报告</h1>\n"
            '<p class="counts">Click a summary to see its evidence highlighted in the '
            "document text. 点击摘要查看原文依据。</p>\n"
        )

    def _temp(self, name: str) -> tuple[IO[str], Path]:
        fd, tmp = tempfile.mkstemp(dir=self._out, prefix=f".{name}.", suffix=".tmp")
        stream = self._stack.enter_context(os.fdopen(fd, "w", encoding="utf-8"))
        self._stack.callback(Path(tmp).unlink, missing_ok=True)  # a no-op once moved
        return stream, Path(tmp)

    def add(self, summary: DocumentSummary, name: str, text: str | None = None) -> None:
        """Append one finished document (the next in input order); ``text``: its plain
        text when the caller has it, else read from its ``<name>.text.txt``."""
        if text is None:
            text = _read_text(self._out, summary)
        self._md_docs.write(_md_document(summary, name))
        self._page.write(_html_document(summary, name, text, self._count))
        self._count += 1
        self._md_docs.flush()  # on disk as each document finishes; nothing kept for the next
        self._page.flush()

    def add_unreadable(self, name: str, error: BaseException) -> None:
        """Note a document whose output could not be read back."""
        self._md_docs.write(f"## {name}\n\n_(output could not be read: {error})_\n\n")
        self._page.write(
            f'<section class="doc"><h2>{_e(name)}</h2><p class="none">'
            f"(output could not be read: {_e(error)})</p></section>\n"
        )

    def close(self, header_md: str | Path) -> None:
        """Finish both files and move them into place.

        Args:
            header_md: the run's Markdown header (counts, usage, warnings), or the
                file that holds it (it may be ``report.md`` itself, then replaced);
                it opens ``report.md``.
        """
        self._page.write(f"<script>{_SCRIPT}</script>\n</body></html>\n")
        self._page.close()
        self._md_docs.close()
        md, md_path = self._temp("report.md")
        if isinstance(header_md, Path):
            with header_md.open(encoding="utf-8") as header:
                shutil.copyfileobj(header, md)
            md.write("\n# Documents\n\n")
        else:
            md.write(header_md.rstrip("\n") + "\n\n# Documents\n\n")
        with self._md_docs_path.open(encoding="utf-8") as docs:
            shutil.copyfileobj(docs, md)
        md.close()
        os.replace(md_path, self._out / "report.md")
        os.replace(self._page_path, self._out / "report.html")
        self._stack.close()  # the documents' temporary file goes

    def discard(self) -> None:
        """Give up: drop the temporary files (an earlier report stays as it was)."""
        self._stack.close()


def write_readable_reports(out: Path, names: Iterable[str], header_md: str | Path) -> None:
    """Write ``out/report.md`` and ``out/report.html`` from the outputs on disk.

    Args:
        out: the batch's output folder.
        names: output stems of the finished documents, in input order; each
            ``out/<name>.json`` is read when its turn comes and dropped after.
        header_md: the run's Markdown header, or the file that holds it (see
            :meth:`ReadableStream.close`).
    """
    stream = ReadableStream(out)
    try:
        for name in names:
            try:
                text = (out / f"{name}.json").read_text(encoding="utf-8")
                summary = DocumentSummary.model_validate_json(text)
            except (OSError, ValueError) as e:
                stream.add_unreadable(name, e)
                continue
            stream.add(summary, name)
        stream.close(header_md)
    except BaseException:
        stream.discard()
        raise
