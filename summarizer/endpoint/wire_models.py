"""instructor, adapted: response models as instructor sees them, built once.

* :func:`wire_model` — the class instructor validates answers with, built once
  per response model: instructor's own wrapper subclass (``openai_schema``),
  with its JSON schema cached and the validation context taken from
  :func:`validation_context`. instructor would otherwise build a new subclass
  and a new schema on every call, and — since instructor >= 1.5 renders message
  contents as Jinja templates whenever it is given a validation context — the
  context must not go through instructor at all for report text to reach the
  model verbatim.
* :data:`REASKABLE` — the exceptions that mean "the answer did not validate",
  the only ones re-asked; :func:`validation_errors` — their messages.
* :func:`schema_of` — a response model's JSON schema, cached (cache keys).
* :func:`remember_async_validator_checks` — instructor >= 1.15 checks, on every
  call and up to four times per call, that the response model has no async
  validators, walking every attribute of every class in its MRO (about a sixth
  of the client's CPU per request); the answer depends on the class alone, so
  it is remembered per class (a class that fails is checked, and fails, again).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from json import JSONDecodeError
from typing import Any, TypeVar

import instructor
from pydantic import BaseModel, ValidationError

__all__ = ["REASKABLE", "schema_of", "validation_context", "validation_errors", "wire_model"]

M = TypeVar("M", bound=BaseModel)


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _reaskable() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the answer did not validate": the only ones re-asked.

    instructor < 1.4 wraps each parse error in ``InstructorRetryException`` inside
    its loop (``instructor.retry``), so that wrapper counts too there.
    """
    found: list[type[BaseException]] = [ValidationError, JSONDecodeError]
    if not _has_module("instructor.core"):  # old layout
        old = getattr(importlib.import_module("instructor.retry"), "InstructorRetryException", None)
        if isinstance(old, type) and issubclass(old, BaseException):
            found.append(old)
    return tuple(found)


REASKABLE = _reaskable()


#: The validation context of this thread's current call (threads each see their own).
_CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("summarizer_validation_context")


@contextmanager
def validation_context(context: dict[str, Any]) -> Iterator[None]:
    """Within the block, this thread's wire classes validate with ``context``."""
    token = _CONTEXT.set(context)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def remember_async_validator_checks() -> bool:
    """Make instructor's per-call async-validator check remember the classes that pass.

    Returns whether instructor has the check (older versions do not; nothing to do).
    Idempotent and thread-safe (a class checked twice at once is only checked twice).
    """
    try:
        checks = importlib.import_module("instructor.v2.validation.async_validators")
        patch = importlib.import_module("instructor.v2.core.patch")
    except ImportError:
        return False
    original = getattr(checks, "reject_async_validators", None)
    if original is None or getattr(original, "_remembers", False):
        return original is not None
    passed: set[Any] = set()

    def reject_async_validators(response_model: Any) -> None:
        try:
            if response_model in passed:
                return
        except TypeError:  # unhashable: check every time
            original(response_model)
            return
        original(response_model)  # raises for a class with async validators
        passed.add(response_model)

    reject_async_validators._remembers = True  # type: ignore[attr-defined]
    setattr(checks, "reject_async_validators", reject_async_validators)  # noqa: B010
    if getattr(patch, "reject_async_validators", None) is original:
        setattr(patch, "reject_async_validators", reject_async_validators)  # noqa: B010
    return True


def _call_context() -> dict[str, Any] | None:
    return _CONTEXT.get(None)


@functools.lru_cache(maxsize=1024)
def wire_model(response_model: type[M]) -> type[M]:
    """The class instructor validates answers with: built once per response model.

    It is instructor's own wrapper (``instructor.openai_schema``: a subclass of
    ``response_model`` and instructor's schema base, which instructor then uses as
    it is instead of generating one per call), with two class methods replaced:

    * ``model_json_schema()`` returns a copy of the schema computed here once
      (pydantic builds it anew on every call; instructor asks for it per request);
    * ``model_validate_json`` / ``model_validate`` use the current call's context
      (:func:`validation_context`) when instructor passes none — it is given
      none, so that it does not render the messages as Jinja templates.
    """
    wire: Any = instructor.openai_schema(response_model)
    schema_json = json.dumps(wire.model_json_schema())  # copied per call: json beats deepcopy
    schema_of, from_json, from_python = (
        wire.model_json_schema, wire.model_validate_json, wire.model_validate
    )  # fmt: skip

    def model_json_schema(cls: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return schema_of(*args, **kwargs) if args or kwargs else json.loads(schema_json)

    def model_validate_json(cls: Any, data: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("context") is None:
            kwargs["context"] = _call_context()
        return from_json(data, *args, **kwargs)

    def model_validate(cls: Any, obj: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("context") is None:
            kwargs["context"] = _call_context()
        return from_python(obj, *args, **kwargs)

    wire.model_json_schema = classmethod(model_json_schema)
    wire.model_validate_json = classmethod(model_validate_json)
    wire.model_validate = classmethod(model_validate)
    return wire


@functools.lru_cache(maxsize=1024)
def schema_of(response_model: type[BaseModel]) -> dict[str, Any]:
    """``response_model``'s JSON schema (for cache keys; read-only)."""
    return response_model.model_json_schema()


def validation_errors(chain: list[BaseException]) -> list[str]:
    for e in chain:
        if isinstance(e, ValidationError):
            return [
                f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
                for err in e.errors(include_url=False)
            ]
        if isinstance(e, JSONDecodeError):
            return [f"invalid JSON: {e}"]
    return []
