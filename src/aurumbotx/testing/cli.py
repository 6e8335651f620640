"""Run the real `aurumbotx` console script in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class CliResult:
    """What the command printed and returned."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout and stderr together."""
        return self.stdout + self.stderr


def cli_executable() -> str:
    """The console script next to the running interpreter."""
    script = Path(sys.executable).parent / "aurumbotx"
    return str(script) if script.exists() else "aurumbotx"


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    input_text: str | None = None,
    cwd: Path | str | None = None,
    timeout: float = 120,
) -> CliResult:
    """Run `aurumbotx ARGS` with the current environment plus `env`."""
    full_env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    proc = subprocess.run(  # noqa: S603 - our own console script
        [cli_executable(), *args],
        env=full_env,
        input=input_text,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)
