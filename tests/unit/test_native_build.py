"""The compiled engine: built in place by `make native`, never run when stale, switchable off."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

import aurumbotx
from aurumbotx._native import (
    COMPILED_MODULES,
    GROUP_NAME,
    MANIFEST_NAME,
    PACKAGE_DIR,
    PURE_ENV,
    inspect_build,
    sha256_of,
    source_path,
)

SUFFIX = EXTENSION_SUFFIXES[0]


def _fake_build(root: Path) -> Path:
    """A package tree with the compiled modules' sources, fake extensions and a manifest."""
    package = root / "aurumbotx"
    hashes = {}
    for module in COMPILED_MODULES:
        source = source_path(module, package)
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(f"# {module}\n")
        source.with_name(source.name[:-3] + SUFFIX).write_bytes(b"not really compiled")
        hashes[module] = sha256_of(source)
    manifest = {"compiler": "mypyc test", "cache_tag": sys.implementation.cache_tag}
    (package / MANIFEST_NAME).write_text(json.dumps(manifest | {"modules": hashes}))
    return package


def test_a_matching_build_is_used(tmp_path: Path) -> None:
    build = inspect_build(_fake_build(tmp_path), environ={})
    assert build.compiled
    assert not build.stale
    assert build.describe() == f"compiled (mypyc test, {len(COMPILED_MODULES)} modules)"


def test_an_edited_source_makes_the_whole_build_stale(tmp_path: Path) -> None:
    package = _fake_build(tmp_path)
    core = source_path("aurumbotx.engine.core", package)
    core.write_text(core.read_text() + "# edited\n")
    build = inspect_build(package, environ={})
    assert not build.compiled
    assert build.stale
    assert "aurumbotx/engine/core.py changed since the build" in build.reason
    assert "make native" in build.reason


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("manifest", "has no build record"),
        ("extension", "aurumbotx/risk/manager.py has no compiled module"),
        ("cache_tag", "built for cpython-0"),
        ("modules", "the build compiled other modules"),
        ("garbage", f"unreadable {MANIFEST_NAME}"),
    ],
)
def test_a_damaged_build_is_not_used(tmp_path: Path, damage: str, expected: str) -> None:
    package = _fake_build(tmp_path)
    manifest_path = package / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text())
    if damage == "manifest":
        manifest_path.unlink()
    elif damage == "extension":
        source = source_path("aurumbotx.risk.manager", package)
        source.with_name(source.name[:-3] + SUFFIX).unlink()
    elif damage == "garbage":
        manifest_path.write_text("{not json")
    else:
        if damage == "cache_tag":
            manifest["cache_tag"] = "cpython-0"
        else:
            manifest["modules"].popitem()
        manifest_path.write_text(json.dumps(manifest))
    build = inspect_build(package, environ={})
    assert not build.compiled
    assert build.stale
    assert expected in build.reason


def test_no_build_at_all_is_pure_python_without_a_warning(tmp_path: Path) -> None:
    package = _fake_build(tmp_path)
    for path in package.rglob("*"):
        if path.suffix == ".so" or path.name == MANIFEST_NAME:
            path.unlink()
    build = inspect_build(package, environ={})
    assert not build.compiled
    assert not build.stale
    assert "make native" in build.reason


@pytest.mark.parametrize(("value", "compiled"), [("1", False), ("true", False), ("0", True)])
def test_the_pure_python_switch(tmp_path: Path, value: str, compiled: bool) -> None:
    assert inspect_build(_fake_build(tmp_path), environ={PURE_ENV: value}).compiled is compiled


def test_an_unknown_switch_value_says_so_and_runs_pure_python(tmp_path: Path) -> None:
    build = inspect_build(_fake_build(tmp_path), environ={PURE_ENV: "maybe"})
    assert not build.compiled
    assert build.stale
    assert "AURUMBOTX_PURE_PYTHON='maybe' is not one of" in build.reason


# -- the real build (make native) -------------------------------------------------------------

REAL = inspect_build(environ={})
# Read at collection: the test kit's env fixture clears AURUMBOTX_* variables for each test.
PURE_REQUESTED = os.environ.get(PURE_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")
needs_build = pytest.mark.skipif(
    not REAL.compiled and os.environ.get("CI") != "true",
    reason=f"the compiled engine is not built here: {REAL.reason}",
)

PROBE = """
import json, sys, warnings
warnings.simplefilter("always")
import aurumbotx
import {modules}
from aurumbotx.domain.candles import Candle
Candle("BTC/USDT", 0, 1.0, 2.0, 0.5, 1.5, 10.0)
print(json.dumps({{"compiled": aurumbotx.NATIVE_BUILD.compiled,
    "files": {{m: sys.modules[m].__file__ for m in {names!r}}}}}))
"""


def _probe(pythonpath: Path | None = None, **env: str) -> tuple[dict, str]:
    names = list(COMPILED_MODULES)
    code = PROBE.format(modules=", ".join(names), names=names)
    environ = {k: v for k, v in os.environ.items() if k != PURE_ENV} | env
    if pythonpath is not None:
        environ["PYTHONPATH"] = str(pythonpath)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environ, check=True
    )
    return json.loads(done.stdout), done.stderr


@needs_build
def test_under_ci_the_suite_runs_the_build_it_was_asked_for() -> None:
    pure = PURE_REQUESTED
    assert aurumbotx.NATIVE_BUILD.compiled is (not pure), aurumbotx.NATIVE_BUILD.reason
    import aurumbotx.engine.core as core

    assert str(core.__file__).endswith(".py" if pure else SUFFIX)


@needs_build
def test_the_built_engine_loads_compiled_and_the_switch_loads_the_sources() -> None:
    compiled, warnings = _probe()
    assert compiled["compiled"] is True, warnings
    assert all(f.endswith(SUFFIX) for f in compiled["files"].values()), compiled
    pure, warnings = _probe(**{PURE_ENV: "1"})
    assert pure["compiled"] is False
    assert all(f.endswith(".py") for f in pure["files"].values()), pure
    assert "StaleNativeBuildWarning" not in warnings


@needs_build
def test_an_edited_source_runs_as_python_with_a_warning(tmp_path: Path) -> None:
    src = PACKAGE_DIR.parent
    shutil.copytree(
        PACKAGE_DIR, tmp_path / "aurumbotx", ignore=shutil.ignore_patterns("__pycache__")
    )
    for group in src.glob(f"{GROUP_NAME}__mypyc.*"):
        shutil.copy2(group, tmp_path)
    copied_core = tmp_path / "aurumbotx" / "engine" / "core.py"
    copied_core.write_text(copied_core.read_text() + "\n# edited after the build\n")
    result, warnings = _probe(tmp_path)
    assert result["compiled"] is False
    assert all(
        f.endswith(".py") and f.startswith(str(tmp_path)) for f in result["files"].values()
    ), result
    assert "StaleNativeBuildWarning" in warnings
    assert "aurumbotx/engine/core.py changed since the build; run `make native`" in warnings
