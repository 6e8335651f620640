"""usage: python -m aurumbotx.build_native build [--force] | clean | status

Builds, removes or reports the compiled engine.

`make native` runs `build` (and `make run` / `make test` run `make native`). See
`aurumbotx._native` for what is compiled and how a stale build is kept from running.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from aurumbotx._native import PACKAGE_DIR, build, inspect_build, remove_build


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m aurumbotx.build_native build [--force] | clean | status`."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "status"
    if command == "build":
        try:
            print(build(force="--force" in args[1:]))
        except Exception as exc:  # the compiler's own output is above; one line here
            print(f"aurumbotx: compiling the engine failed: {exc}", file=sys.stderr)
            return 1
        return 0
    if command == "clean":
        remove_build(PACKAGE_DIR.parent, PACKAGE_DIR)
        print("compiled engine removed: the engine runs as pure Python")
        return 0
    if command == "status":
        print(inspect_build(environ={}).describe())
        return 0
    print(
        "usage: python -m aurumbotx.build_native build [--force] | clean | status", file=sys.stderr
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
