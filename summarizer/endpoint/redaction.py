"""Keeping the API key out of error texts, logs and exception chains.

The OpenAI SDK's errors can carry the key: some providers quote the
``Authorization`` header back in the error body, or echo a masked key
(``sk-abc***wxyz``). Everything the client raises or logs goes through here:

* :func:`scrub` — a text without the key (whole, its 12-character head or
  8-character tail) and without anything after ``Bearer`` / ``api_key=``;
* :func:`redact` — an SDK exception scrubbed in place (message, args, body),
  before instructor or the retry loop log it;
* :func:`safe_cause` — the exception to chain as ``__cause__``, or None when
  some exception in its chain still shows the key;
* :func:`exception_chain` — an exception and everything it wraps (causes,
  contexts, tenacity's last attempt, exception arguments), which is also how the
  client finds the API error or validation error inside instructor's wrappers.
"""

from __future__ import annotations

import json
import re

__all__ = ["exception_chain", "redact", "safe_cause", "scrub"]

_BEARER = re.compile(r"(?i)(bearer\s+|api[_-]?key[\"'=:\s]+)[A-Za-z0-9._\-]{8,}")


def scrub(text: str, secret: str) -> str:
    """``text`` without the API key (whole or any 8+ character fragment quoted back)."""
    if secret:
        text = text.replace(secret, "***")
        if len(secret) >= 16:  # providers echo a masked key: sk-abc***wxyz
            for frag in {secret[:12], secret[-8:]}:
                text = text.replace(frag, "***")
    return _BEARER.sub(r"\1***", text)


def redact(exc: BaseException, secret: str) -> None:
    """Remove ``secret`` from an SDK error in place (message, args, body)."""
    if not secret:
        return
    exc.args = tuple(scrub(a, secret) if isinstance(a, str) else a for a in exc.args)
    if isinstance(getattr(exc, "message", None), str):
        exc.message = scrub(exc.message, secret)  # type: ignore[attr-defined]
    body = getattr(exc, "body", None)
    if body is not None:
        text = json.dumps(body, default=str, ensure_ascii=False)
        if secret in text:
            exc.body = json.loads(scrub(text, secret))  # type: ignore[attr-defined]


def safe_cause(exc: Exception, secret: str) -> Exception | None:
    """``exc`` as the chained cause, unless its text would reveal the key."""
    for e in exception_chain(exc):
        if secret and secret in str(e):
            return None
        body = getattr(e, "body", None)
        if secret and body is not None and secret in json.dumps(body, default=str):
            return None
    return exc


def exception_chain(exc: BaseException | None) -> list[BaseException]:
    """``exc`` and everything it wraps (causes, contexts, tenacity's last attempt, args)."""
    seen: list[BaseException] = []
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        last = getattr(e, "last_attempt", None)
        if last is not None and getattr(last, "failed", False):
            stack.append(last.exception())
        stack.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
        stack.extend([e.__cause__, e.__context__])
    return seen
