"""Which model versions exist, and which one is active per pair and timeframe, without a database.

The models directory (``<AURUMBOTX_HOME>/models``) holds one directory per version (see
`aurumbotx.ml.artifact`) and ``active.json``::

    {"active": {"BTC/USDT 1h": "20250101-120000-ab12", ...}}

`aurumbotx models activate` updates ``active.json`` in the same operation as the
`ai_model_performance` rows (the database is the record; the file lets strategies, which never
import the ORM, find the active model). Writes are atomic (temporary file + rename).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from aurumbotx.domain.errors import ModelError, NotFoundError
from aurumbotx.ml.artifact import (
    META_FILE,
    VERSION_PATTERN,
    ModelArtifact,
    load_artifact,
    read_meta,
)

ACTIVE_FILE = "active.json"
ACTIVE = "active"


def active_key(pair: str, timeframe: str) -> str:
    """The key of a pair and timeframe in active.json."""
    return f"{pair} {timeframe}"


def list_versions(models_dir: Path) -> list[dict[str, Any]]:
    """meta.json of every saved version, oldest first (unreadable ones are skipped)."""
    if not models_dir.is_dir():
        return []
    found = []
    for entry in sorted(models_dir.iterdir()):
        if entry.is_dir() and VERSION_PATTERN.match(entry.name) and (entry / META_FILE).is_file():
            try:
                found.append(read_meta(models_dir, entry.name))
            except ModelError:
                continue
    return found


def read_active(models_dir: Path) -> dict[str, str]:
    """{'PAIR TIMEFRAME': version} from active.json ({} when there is none)."""
    path = models_dir / ACTIVE_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        active = data["active"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelError(f"{path} is unreadable: {error}") from None
    if not isinstance(active, dict):
        raise ModelError(f"{path}: 'active' must be an object")
    return {str(k): str(v) for k, v in active.items()}


def write_active(models_dir: Path, active: dict[str, str]) -> None:
    """Replace active.json atomically."""
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / ACTIVE_FILE
    tmp = models_dir / f".{ACTIVE_FILE}.{secrets.token_hex(4)}.tmp"
    tmp.write_text(json.dumps({"active": dict(sorted(active.items()))}, indent=1) + "\n")
    os.replace(tmp, path)


def set_active(models_dir: Path, pair: str, timeframe: str, version: str) -> str | None:
    """Make `version` the active model of pair/timeframe in active.json; the previous one."""
    meta = read_meta(models_dir, version)
    if (meta.get("pair"), meta.get("timeframe")) != (pair, timeframe):
        raise ModelError(
            f"model {version} is for {meta.get('pair')} {meta.get('timeframe')}, "
            f"not {pair} {timeframe}"
        )
    active = read_active(models_dir)
    previous = active.get(active_key(pair, timeframe))
    active[active_key(pair, timeframe)] = version
    write_active(models_dir, active)
    return previous


def active_version(models_dir: Path, pair: str, timeframe: str) -> str:
    """The active version of pair/timeframe; NotFoundError when none was activated."""
    version = read_active(models_dir).get(active_key(pair, timeframe))
    if version is None:
        raise NotFoundError(
            f"no active model for {pair} {timeframe} in {models_dir}: train one with "
            "`aurumbotx train` and activate it with `aurumbotx models activate VERSION`"
        )
    return version


def resolve_model(
    version_or_active: str, pair: str, timeframe: str, models_dir: Path
) -> ModelArtifact:
    """Load a version, or the active model ('active') of pair/timeframe; checks it fits them."""
    version = (
        active_version(models_dir, pair, timeframe)
        if version_or_active == ACTIVE
        else version_or_active
    )
    artifact = load_artifact(models_dir, version)
    if (artifact.pair, artifact.timeframe) != (pair, timeframe):
        raise ModelError(
            f"model {version} was trained on {artifact.pair} {artifact.timeframe}, "
            f"not {pair} {timeframe}"
        )
    return artifact
