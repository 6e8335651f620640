"""Run every benchmark of bench/ and print their figures in one table (`make bench`).

A benchmark is a module ``bench/bench_*.py`` with ``run(...) -> dict`` and ``main()``. Each is
imported and its ``run()`` called in this process, in file-name order, with its defaults (or
--rows/--repeat when its signature has ``n``/``rows`` and ``repeat``). A result holding
"table" rows (see bench/common.py) is printed as is, plus the lines of the module's optional
``footer(figures)``; a flat result (``*_s`` timings, ``ratio``, ``target_ratio``,
``meets_target``, as bench_features.py returns) becomes one row: first timing = ours, second =
the baseline; its target is ``target_ratio`` (ratio <= it) or the first other ``target_<name>``
(e.g. ``target_p99_us`` shown as "p99 <= 150 us").

    .venv/bin/python bench/run_all.py [--only features backtest] [--rows N] [--repeat R]
                                      [--json OUT]

Exit status 1 when a benchmark misses a target or fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from common import format_table, heading, row, seconds

BENCH_DIR = Path(__file__).resolve().parent


def discover(only: list[str]) -> Iterator[tuple[str, Path]]:
    """(name, path) of each bench_*.py, filtered by `only` (with or without "bench_")."""
    for path in sorted(BENCH_DIR.glob("bench_*.py")):
        name = path.stem
        if not only or name in only or name.removeprefix("bench_") in only:
            yield name, path


def load(name: str, path: Path) -> ModuleType | None:
    """The module, or None when it has no run()/main() (then it is not a benchmark)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    if callable(getattr(module, "run", None)) and callable(getattr(module, "main", None)):
        return module
    return None


def arguments(module: ModuleType, rows: int | None, repeat: int | None) -> dict[str, int]:
    """--rows/--repeat as keyword arguments the module's run() accepts."""
    accepted = inspect.signature(module.run).parameters
    given: dict[str, int] = {}
    for key in ("n", "rows"):
        if rows is not None and key in accepted:
            given[key] = rows
            break
    if repeat is not None and "repeat" in accepted:
        given["repeat"] = repeat
    return given


def flat_rows(figures: dict[str, Any]) -> list[dict[str, str]]:
    """One row from a flat result: its first two timings, its ratio and target."""
    timings = [
        (key.removesuffix("_s"), value)
        for key, value in figures.items()
        if key.endswith("_s") and isinstance(value, int | float)
    ]
    ours = timings[0] if timings else ("", 0.0)
    peer = timings[1] if len(timings) > 1 else ("", 0.0)
    best = f", best of {figures['repeat']}" if "repeat" in figures else ""
    ratio = figures.get("ratio")
    return [
        heading(f"{figures.get('benchmark', '')}: {figures.get('data', '')}"),
        row(
            f"{ours[0]} vs {peer[0]}{best}",
            seconds(ours[1]) if ours[0] else "",
            seconds(peer[1]) if peer[0] else "",
            f"{ratio:.3g}" if isinstance(ratio, int | float) else "",
            flat_target(figures),
            figures.get("meets_target"),
        ),
    ]


def flat_target(figures: dict[str, Any]) -> str:
    """'ours/peer <= x' from target_ratio, else 'p99 <= 150 us' from e.g. target_p99_us."""
    for key, value in figures.items():
        if not key.startswith("target_") or not isinstance(value, int | float):
            continue
        name = key.removeprefix("target_")
        if name == "ratio":
            return f"ours/peer <= {value:g}"
        measure, _, unit = name.rpartition("_")
        return f"{measure or unit} <= {value:g} {unit if measure else ''}".rstrip()
    return ""


def run_one(
    name: str, path: Path, rows: int | None, repeat: int | None
) -> tuple[dict[str, Any] | None, list[dict[str, str]], list[str], bool]:
    """(figures, table rows, footer lines, met every target) of one benchmark."""
    print(f"[run_all] {name} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        module = load(name, path)
        if module is None:
            return None, [], [], True
        figures = module.run(**arguments(module, rows, repeat))
    except Exception:  # a broken benchmark must not hide the others' figures
        traceback.print_exc()
        return None, [heading(f"{name}: FAILED (traceback above)")], [], False
    elapsed = time.perf_counter() - start
    print(f"[run_all] {name} done in {elapsed:.0f} s", file=sys.stderr, flush=True)
    if "table" in figures:
        footer = module.footer(figures) if callable(getattr(module, "footer", None)) else []
        rows_ = [heading(f"{name} ({elapsed:.0f} s)"), *figures["table"]]
    else:
        footer, rows_ = [], [heading(f"{name} ({elapsed:.0f} s)"), *flat_rows(figures)]
    return figures, rows_, [f"{name}: {line}" for line in footer], bool(figures["meets_target"])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print the combined table; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="benchmark names, e.g. backtest")
    parser.add_argument("--rows", type=int, default=None, help="candles (default: each's own)")
    parser.add_argument("--repeat", type=int, default=None, help="best of R (default: each's)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write every result here")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results: dict[str, Any] = {}
    table: list[dict[str, str]] = []
    footers: list[str] = []
    all_met = True
    for name, path in discover(args.only):
        figures, rows, footer, met = run_one(name, path, args.rows, args.repeat)
        if figures is not None:
            results[name] = figures
        table += rows
        footers += footer
        all_met = all_met and met
    if not table:
        print("no benchmark found", file=sys.stderr)
        return 1
    print(format_table(table))
    if footers:
        print("\n".join(footers))
    print(f"total {time.perf_counter() - start:.0f} s; every target met: {all_met}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return 0 if all_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
