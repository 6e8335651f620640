"""Every package the code imports is declared: `make run` works with the runtime dependencies alone.

A dev tool that happens to pull a package in hides a missing declaration (it happened: click,
which typer >= 0.27 no longer brings). So the declared runtime dependencies are checked against
the imports of the source, and the CLI and the benchmarks' imports are loaded with the dev-only
packages made unimportable.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).parents[2]
SOURCE = ROOT / "src" / "aurumbotx"
# Test kit and emulator: used by tests and benchmarks, allowed the dev extras.
DEV_ONLY_PARTS = {"testing"}
DEV_ONLY_MODULES = ("click", "pytest", "hypothesis", "websockets", "_pytest")
# Files that need an extra on top of the runtime dependencies: `make native`'s compiler.
FILES_WITH_EXTRA = {"_native.py": "native", "build_native.py": "native"}


def _requirement_name(spec: str) -> str:
    return re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0].lower().replace("_", "-")


def _declared(extra: str | None = None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return {_requirement_name(spec) for spec in specs}


def _imported_top_levels(files: list[Path]) -> set[str]:
    names: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def _third_party(names: set[str]) -> dict[str, set[str]]:
    """Module -> the distributions that provide it, for modules outside the standard library."""
    providers = packages_distributions()
    return {
        name: {dist.lower().replace("_", "-") for dist in providers.get(name, [])}
        for name in names
        if name not in sys.stdlib_module_names and name != "aurumbotx"
    }


def test_runtime_code_imports_only_declared_packages() -> None:
    undeclared: dict[str, list[str]] = {}
    for path in SOURCE.rglob("*.py"):
        if DEV_ONLY_PARTS & set(path.parts):
            continue
        declared = _declared()
        if path.name in FILES_WITH_EXTRA:
            declared |= _declared(FILES_WITH_EXTRA[path.name])
        for module, dists in _third_party(_imported_top_levels([path])).items():
            if not dists & declared:
                undeclared[f"{path.name}: {module}"] = sorted(dists)
    assert undeclared == {}, f"imported but not declared in pyproject.toml: {undeclared}"


def test_the_cli_and_the_benchmarks_load_without_dev_only_packages() -> None:
    bench_imports = sorted(
        {
            node.module
            for path in (ROOT / "bench").glob("*.py")
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("aurumbotx")
        }
    )
    assert "aurumbotx.testing.market" in bench_imports  # the check below covers the kit too
    modules = ["aurumbotx.cli.app", *bench_imports]
    blocked = "".join(f"sys.modules[{name!r}] = None\n" for name in DEV_ONLY_MODULES)
    load = f"for m in {modules!r}:\n    importlib.import_module(m)\n"
    code = f"import importlib, sys\n{blocked}{load}"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
