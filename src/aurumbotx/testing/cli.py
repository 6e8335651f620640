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


def assert_one_clear_line(result: CliResult, code: int | None = None, text: str = "") -> str:
    """The command failed (with `code` when given) with one `error:` line holding `text`."""
    assert result.returncode != 0, result.output  # noqa: S101 - a test helper
    if code is not None:
        assert result.returncode == code, result.output  # noqa: S101
    assert "Traceback" not in result.output  # noqa: S101
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr  # noqa: S101
    assert lines[0].startswith("error:"), lines[0]  # noqa: S101
    assert text in lines[0], lines[0]  # noqa: S101
    return lines[0]
