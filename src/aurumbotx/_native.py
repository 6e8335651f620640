"""The compiled engine: which modules mypyc compiles, how they are built, and the import guard.

The per-candle state machine (domain objects, engine, order router, portfolio, paper exchange,
risk manager, backtest driver and its result) is plain Python that mypyc compiles to C
extension modules next to the sources (`make native`, part of `make run` and `make test`); the
code and its behaviour are the same either way, the compiled build is faster
(docs/benchmarks.md).

Compiled money code must never run stale. A build writes `_native_build.json` with the sha256 of
every source it compiled; when the package is imported, `activate` checks those hashes. When
they match, Python's import system loads the extension modules as usual. Otherwise (a source
changed since the build, a build for another Python, no build at all, or
``AURUMBOTX_PURE_PYTHON=1``) the WHOLE group is loaded from the ``.py`` sources: never a mix,
because compiled modules call each other directly in C. A stale build also warns, naming the
file and the command that rebuilds it. `aurumbotx.NATIVE_BUILD` says which build is running
(``aurumbotx --version`` prints it, and so does the benchmark). `python -m
aurumbotx.build_native` builds, removes or reports the compiled engine.

Only the standard library is imported here: this runs on every ``import aurumbotx``.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

COMPILED_MODULES: tuple[str, ...] = (
    "aurumbotx.domain.enums",
    "aurumbotx.domain.values",
    "aurumbotx.domain.candles",
    "aurumbotx.domain.trading",
    "aurumbotx.risk.manager",
    "aurumbotx.execution.paper",
    "aurumbotx.engine.portfolio",
    "aurumbotx.engine.orders",
    "aurumbotx.engine.core",
    "aurumbotx.backtest.result",
    "aurumbotx.backtest.runner",
)
MANIFEST_NAME = "_native_build.json"
GROUP_NAME = "aurumbotx_native"  # mypyc's shared library: src/aurumbotx_native__mypyc.*.so
PURE_ENV = "AURUMBOTX_PURE_PYTHON"
REBUILD_HINT = "run `make native` to rebuild it"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
PACKAGE_DIR = Path(__file__).resolve().parent


class StaleNativeBuildWarning(RuntimeWarning):
    """The compiled engine does not match its sources: the pure-Python engine runs instead."""


@dataclass(frozen=True, slots=True)
class NativeBuild:
    """Which engine this process runs: compiled (with which compiler) or pure Python, and why."""

    compiled: bool
    reason: str
    stale: bool = False

    def describe(self) -> str:
        """One line for `--version`, logs and benchmark tables."""
        return f"{'compiled' if self.compiled else 'pure Python'} ({self.reason})"


def source_path(module: str, package_dir: Path = PACKAGE_DIR) -> Path:
    """`aurumbotx.engine.core` -> <package_dir>/engine/core.py."""
    parts = module.split(".")[1:]
    return package_dir.joinpath(*parts[:-1], parts[-1] + ".py")


def compiled_beside(source: Path) -> Path | None:
    """The extension module this interpreter would import instead of `source`, if present."""
    stem = source.name[:-3]
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = source.with_name(stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pure_requested(environ: Mapping[str, str]) -> bool | str:
    raw = environ.get(PURE_ENV, "")
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return f"{PURE_ENV}={raw!r} is not one of 1/0/true/false/yes/no/on/off"


def inspect_build(
    package_dir: Path = PACKAGE_DIR, environ: Mapping[str, str] = os.environ
) -> NativeBuild:
    """Decide, without importing anything, whether the compiled build may run."""
    pure = _pure_requested(environ)
    if isinstance(pure, str):
        return NativeBuild(False, pure + "; running pure Python", stale=True)
    if pure:
        return NativeBuild(False, f"{PURE_ENV} is set")
    manifest_path = package_dir / MANIFEST_NAME
    if not manifest_path.is_file():
        for module in COMPILED_MODULES:
            leftover = compiled_beside(source_path(module, package_dir))
            if leftover is not None:
                reason = f"{leftover.name} has no build record; {REBUILD_HINT}"
                return NativeBuild(False, reason, stale=True)
        return NativeBuild(False, "not compiled; `make native` compiles the engine")
    try:
        manifest = json.loads(manifest_path.read_text())
        recorded: dict[str, str] = manifest["modules"]
        cache_tag: str = manifest["cache_tag"]
        compiler: str = manifest["compiler"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return NativeBuild(False, f"unreadable {MANIFEST_NAME} ({exc}); {REBUILD_HINT}", True)
    if cache_tag != sys.implementation.cache_tag:
        return NativeBuild(
            False, f"built for {cache_tag}, this is {sys.implementation.cache_tag}", stale=True
        )
    if sorted(recorded) != sorted(COMPILED_MODULES):
        return NativeBuild(False, f"the build compiled other modules; {REBUILD_HINT}", True)
    for module in COMPILED_MODULES:
        source = source_path(module, package_dir)
        where = source.relative_to(package_dir.parent)
        if compiled_beside(source) is None:
            return NativeBuild(False, f"{where} has no compiled module; {REBUILD_HINT}", True)
        if not source.is_file() or sha256_of(source) != recorded[module]:
            return NativeBuild(False, f"{where} changed since the build; {REBUILD_HINT}", True)
    return NativeBuild(True, f"{compiler}, {len(COMPILED_MODULES)} modules")


class SourceOnlyFinder(MetaPathFinder):
    """Loads `aurumbotx` modules from their .py file even when a compiled one sits beside it."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        """The source spec of a module that also has a compiled file; None for all others."""
        if not fullname.startswith("aurumbotx.") or not path:
            return None
        leaf = fullname.rpartition(".")[2]
        for directory in path:
            source = Path(directory, leaf + ".py")
            if source.is_file():
                if compiled_beside(source) is None:
                    return None
                return importlib.util.spec_from_file_location(fullname, source)
        return None


def activate() -> NativeBuild:
    """Choose the build for this process: install the source finder unless compiled.

    Called once, by the package's `__init__`, before any engine module is imported.
    """
    build = inspect_build()
    if not build.compiled:
        sys.meta_path.insert(0, SourceOnlyFinder())
        if build.stale:
            warnings.warn(
                f"aurumbotx: compiled engine not used: {build.reason}",
                StaleNativeBuildWarning,
                stacklevel=2,
            )
    return build


def remove_build(src_dir: Path, package_dir: Path) -> None:
    for path in package_dir.rglob("*"):
        if path.suffix in {".so", ".pyd"} and path.is_file():
            path.unlink()
    for path in src_dir.glob(GROUP_NAME + "__mypyc.*"):
        path.unlink()
    (package_dir / MANIFEST_NAME).unlink(missing_ok=True)


def build(package_dir: Path = PACKAGE_DIR, *, force: bool = False) -> str:
    """Compile COMPILED_MODULES in place with mypyc; write the manifest last. Returns a summary.

    Skips the work (in well under a second) when the current build already matches its sources.
    """
    current = inspect_build(package_dir, environ={})
    if current.compiled and not force:
        return f"compiled engine up to date ({current.reason})"
    import tempfile

    import mypy.version
    from mypyc.build import mypycify
    from setuptools import setup

    src_dir = package_dir.parent
    remove_build(src_dir, package_dir)
    hashes = {m: sha256_of(source_path(m, package_dir)) for m in COMPILED_MODULES}
    relative = [str(source_path(m, package_dir).relative_to(src_dir)) for m in COMPILED_MODULES]
    cwd = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="aurumbotx-native-") as tmp:
        os.chdir(src_dir)  # mypy names the modules from their paths; --inplace writes here
        try:
            extensions = mypycify(
                ["--ignore-missing-imports", f"--cache-dir={Path(tmp, 'mypy')}", *relative],
                opt_level="3",
                group_name=GROUP_NAME,
                target_dir=str(Path(tmp, "c")),
            )
            setup(
                name="aurumbotx-native",
                ext_modules=extensions,
                script_args=[
                    "--quiet",
                    "build_ext",
                    "--inplace",
                    "--build-temp",
                    str(Path(tmp, "obj")),
                    "--build-lib",
                    str(Path(tmp, "lib")),
                ],
            )
        finally:
            os.chdir(cwd)
    changed = [m for m in COMPILED_MODULES if sha256_of(source_path(m, package_dir)) != hashes[m]]
    if changed:
        raise RuntimeError(f"{changed[0]} changed during the build; build again")
    manifest = {
        "compiler": f"mypyc {mypy.version.__version__}",
        "cache_tag": sys.implementation.cache_tag,
        "modules": hashes,
    }
    (package_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
    done = inspect_build(package_dir, environ={})
    if not done.compiled:
        raise RuntimeError(f"the build did not take: {done.reason}")
    return f"compiled engine built ({done.reason})"
