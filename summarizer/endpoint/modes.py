"""Endpoint kinds: which instructor mode and JSON-schema dialect an endpoint gets.

Mode selection (``settings.mode == "auto"``)
--------------------------------------------
====================================================  ============  =========================
endpoint                                              mode          why
====================================================  ============  =========================
empty base_url (embedded llama.cpp), localhost,       JSON_SCHEMA   ``response_format`` with the
127.x/::1, private IPs, ports 8000/8080/11434                       schema: llama.cpp builds a
(vLLM, llama.cpp, Ollama)                                           grammar, every answer parses
api.openai.com, \\*.openai.azure.com                   TOOLS         native forced tool calls
api.deepseek.com, dashscope(-intl).aliyuncs.com       TOOLS         OpenAI-style tool calling
any other remote host                                 TOOLS         most hosted OpenAI-compatible
                                                                    APIs implement tool calling
====================================================  ============  =========================

``tools`` / ``json_schema`` / ``md_json`` in settings force a mode. In JSON_SCHEMA
mode the wire format is fixed here, not by the instructor version: local
endpoints get ``{"type": "json_object", "schema": S}`` (what llama-cpp-python's
server understands; it rejects OpenAI's ``json_schema`` type with a 422), remote
ones OpenAI's ``{"type": "json_schema", "json_schema": {"name", "schema"}}``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

import instructor

from ..settings import Settings

__all__ = ["LOCAL_PORTS", "TOOL_HOSTS", "is_local_url", "resolve_mode", "response_format"]

TOOL_HOSTS = ("api.openai.com", "api.deepseek.com", "dashscope.aliyuncs.com",
              "dashscope-intl.aliyuncs.com")  # fmt: skip
LOCAL_PORTS = frozenset({8000, 8080, 11434})
_MODES = {
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "md_json": instructor.Mode.MD_JSON,
}


def resolve_mode(settings: Settings, *, url: str | None = None) -> instructor.Mode:
    """The instructor mode for ``settings`` (see the module docstring's table).

    ``url``: the endpoint actually used, when it is not ``settings.base_url`` (the
    embedded server's).
    """
    if settings.mode != "auto":
        return _MODES[settings.mode]
    base_url = settings.base_url if url is None else url
    if not base_url:
        return instructor.Mode.JSON_SCHEMA
    parsed = urlparse(base_url)
    host = (parsed.hostname or "").lower()
    if any(host == h or host.endswith("." + h) for h in TOOL_HOSTS):
        return instructor.Mode.TOOLS
    if host.endswith(".openai.azure.com"):
        return instructor.Mode.TOOLS
    if is_local_url(base_url):
        return instructor.Mode.JSON_SCHEMA
    return instructor.Mode.TOOLS


def is_local_url(base_url: str) -> bool:
    """Whether ``base_url`` is a local server (loopback, private address, usual local ports)."""
    parsed = urlparse(base_url)
    return _is_local_host((parsed.hostname or "").lower()) or parsed.port in LOCAL_PORTS


def response_format(fmt: Any, *, llama_cpp: bool) -> Any:
    """One wire format for JSON_SCHEMA mode whatever instructor version built it.

    instructor < 1.4 sends ``{"type": "json_object", "schema": S}`` (the llama.cpp
    dialect), later versions OpenAI's ``{"type": "json_schema", "json_schema":
    {"name": N, "schema": S}}``, which llama-cpp-python's server rejects (422).
    Local endpoints get the llama.cpp dialect, remote ones OpenAI's.
    """
    if not isinstance(fmt, Mapping):
        return fmt
    if fmt.get("type") == "json_schema" and isinstance(fmt.get("json_schema"), Mapping):
        schema, name = fmt["json_schema"].get("schema"), fmt["json_schema"].get("name", "Answer")
    elif fmt.get("type") == "json_object" and "schema" in fmt:
        schema = fmt["schema"]
        name = schema.get("title", "Answer") if isinstance(schema, Mapping) else "Answer"
    else:
        return fmt
    if llama_cpp:
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}


def _is_local_host(host: str) -> bool:
    if host in {"localhost", "host.docker.internal"} or host.endswith((".local", ".localhost")):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_unspecified or ip.is_link_local
