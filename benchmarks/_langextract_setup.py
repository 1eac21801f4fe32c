"""langextract's side of the head-to-head: its prompt, few-shot examples, call and conversion.

The setup is meant to be fair to it:

* the prompt states the gold guidelines' definitions (what an item is, the
  three categories, what a figure is), in the documents' language;
* one few-shot example covers all three categories, figures and the ``；``
  split rule. It is written for this benchmark (a made-up county report), so
  no seed document or gold item leaks into the prompt;
* its own chunking defaults (``max_char_buffer=1000``, ``batch_length=10``,
  ``max_workers=10``), its schema constraints (``response_format`` from the
  examples) and its ``UnicodeTokenizer``, which it recommends for Chinese;
* temperature 0, as for this project.

Its extractions become :class:`summarizer.DocumentSummary` objects so the same
eval harness scores both tools: the evidence is the extraction's character
interval; an extraction langextract could not align gets an empty span (it
can never match gold, so it counts against precision) and is counted apart.
"""

from __future__ import annotations

from typing import Any

from summarizer import DocumentSummary, FigureOut, Item, Span
from summarizer.figures.numbers import parse_figure
from summarizer.schema import CATEGORY_FIELDS, RunMetadata

PROMPT = "\n".join(
    (
        "从政府工作报告或法治政府建设报告中，按原文顺序抽取每一个“条目”，分为三类：",
        "- achievement（成效）：报告期内已做的工作或取得的成果：采取的措施、"
        "建立的制度、办理的案件、达到的数字。",
        "- shortcoming（不足）：报告承认的问题、薄弱环节、差距及其原因（存在"
        "问题、不足、差距、短板、原因）。",
        "- plan（计划）：今后的工作安排：下一步、今后、工作安排、工作打算、来年的目标和承诺。",
        "一个条目是最小的编号单元：以“一是/二是”“第一/第二”“1、/2.”“（1）”"
        "开头的一点；没有子项的“（一）”一点；一句中用“；”分隔列出的多个问题或任务，每"
        "个分句各为一个条目；没有编号的段落为一个条目。",
        "extraction_text 必须逐字照抄原文，从编号（如“1、”“一是”）开"
        "始到该单元最后一个字，不得改写、不得重叠。",
        "不是条目：单独成行且有子项的标题、开头套话（现将有关情况报告如下）、结尾套话（总"
        "之……）、只引出列表的句子、署名和日期。",
        "属性 summary：用一句中文概括该条目；figures：条目原文中出现的每个"
        "数量，照抄原文（数字连同单位和“近、约、余、多、以上、左右”），不含日期、编号、"
        "文号和“三项制度”这类名称。",
    )
)

EXAMPLE_TEXT = """\
某县2021年法治政府建设工作情况报告
一、主要工作成效
（一）深化“放管服”改革。全年办理行政审批事项1.2万件，按时办结率100%；清理各类证明事项36项。
（二）加强普法宣传教育。开展法治讲座80余场，覆盖群众5000多人次。
二、存在的不足
一是部分干部运用法治思维解决问题的能力不强；二是基层执法力量薄弱，专业执法人员不足。
三、下一步工作打算
（一）完善重大行政决策程序，年内编制重大行政决策事项目录。
（二）加强执法队伍建设，全年培训执法人员300人次以上。"""

_EXAMPLE_ITEMS: list[tuple[str, str, str, list[str]]] = [
    (
        "achievement",
        "（一）深化“放管服”改革。全年办理行政审批事项1.2万件，按时办结率100%；清理各类证明事项36项。",
        "深化放管服改革，办理审批事项1.2万件。",
        ["1.2万件", "100%", "36项"],
    ),
    (
        "achievement",
        "（二）加强普法宣传教育。开展法治讲座80余场，覆盖群众5000多人次。",
        "开展法治讲座80余场。",
        ["80余场", "5000多人次"],
    ),
    ("shortcoming", "一是部分干部运用法治思维解决问题的能力不强；", "部分干部法治能力不强。", []),
    ("shortcoming", "二是基层执法力量薄弱，专业执法人员不足。", "基层执法力量薄弱。", []),
    (
        "plan",
        "（一）完善重大行政决策程序，年内编制重大行政决策事项目录。",
        "完善重大行政决策程序。",
        [],
    ),
    (
        "plan",
        "（二）加强执法队伍建设，全年培训执法人员300人次以上。",
        "培训执法人员300人次以上。",
        ["300人次以上"],
    ),
]


def examples() -> list[Any]:
    """The few-shot examples as langextract ``ExampleData``."""
    import langextract as lx

    extractions = []
    for cls, text, summary, figures in _EXAMPLE_ITEMS:
        if text not in EXAMPLE_TEXT:
            raise ValueError(f"example extraction not verbatim in the example text: {text}")
        extractions.append(
            lx.data.Extraction(
                extraction_class=cls,
                extraction_text=text,
                attributes={"summary": summary, "figures": figures},
            )
        )
    return [lx.data.ExampleData(text=EXAMPLE_TEXT, extractions=extractions)]


def extract(text: str, *, base_url: str, model: str, api_key: str) -> Any:
    """Run ``lx.extract`` on one document with the fair setup above."""
    import langextract as lx
    from langextract.core.tokenizer import UnicodeTokenizer

    config = lx.factory.ModelConfig(
        model_id=model,
        provider="OpenAILanguageModel",
        provider_kwargs={"api_key": api_key, "base_url": base_url},
    )
    return lx.extract(
        text,
        prompt_description=PROMPT,
        examples=examples(),
        config=config,
        temperature=0.0,
        fence_output=False,
        use_schema_constraints=True,
        tokenizer=UnicodeTokenizer(),
        show_progress=False,
        prompt_validation_level=lx.prompt_validation.PromptValidationLevel.OFF,
    )


def to_summary(
    doc_id: str, text: str, annotated: Any, *, model: str
) -> tuple[DocumentSummary, int]:
    """langextract's result as a DocumentSummary, and how many extractions were unaligned."""
    buckets: dict[str, list[Item]] = {field: [] for field in CATEGORY_FIELDS.values()}
    unaligned = 0
    for k, ex in enumerate(annotated.extractions or []):
        category = str(ex.extraction_class or "").strip().lower()
        if category not in CATEGORY_FIELDS:
            continue
        interval = ex.char_interval
        if interval is None or interval.start_pos is None or interval.end_pos is None:
            unaligned += 1
            span = Span(start=0, end=0, text="")
        else:
            start, end = int(interval.start_pos), int(interval.end_pos)
            span = Span(start=start, end=end, text=text[start:end])
        attrs = ex.attributes or {}
        raw_figures = attrs.get("figures") or []
        if isinstance(raw_figures, str):
            raw_figures = [f for f in raw_figures.replace("、", ";").split(";") if f.strip()]
        figures = []
        for raw in raw_figures:
            parsed = parse_figure(str(raw))
            if parsed is not None:
                figures.append(
                    FigureOut(text=str(raw), value=parsed.value, unit=parsed.unit, start=0, end=0)
                )
        summary = attrs.get("summary")
        buckets[CATEGORY_FIELDS[category]].append(
            Item(
                id=f"lx{k}",
                category=category,
                summary=str(summary or ex.extraction_text or "")[:500],
                evidence=[span],
                figures=figures,
            )
        )
    summary = DocumentSummary(
        doc_id=doc_id,
        # backend is typed (rules | llm): langextract is a model backend; the tool is
        # named by summarizer_version
        metadata=RunMetadata(summarizer_version="langextract", backend="llm", model=model),
        **buckets,  # type: ignore[arg-type]
    )
    return summary, unaligned


def stated_figures(annotated: Any) -> list[str]:
    """Every figure string langextract stated, parseable or not."""
    out: list[str] = []
    for ex in annotated.extractions or []:
        raw = (ex.attributes or {}).get("figures") or []
        out.extend([raw] if isinstance(raw, str) else [str(r) for r in raw])
    return out
