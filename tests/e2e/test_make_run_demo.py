"""`aurumbotx run` (what `make run` starts): the backtest demo on the shared data."""

import json
import os
from pathlib import Path

from aurumbotx.testing.cli import run_cli
from aurumbotx.testing.market import require_shared_file


def test_demo_writes_reports(tmp_path: Path) -> None:
    shared = require_shared_file("binance_BTC-USDT_1h.csv.gz").parent
    # The demo finds ../shared/data from its working directory, as `make run` does.
    workdir = tmp_path / "main"
    workdir.mkdir()
    (tmp_path / "shared").symlink_to(shared.parent)
    result = run_cli("run", cwd=workdir, timeout=600)
    assert result.returncode == 0, result.output
    home = Path(os.environ["AURUMBOTX_HOME"])
    for name in ("sma_cross", "swing"):
        report = home / "reports" / f"demo-{name}.html"
        assert report.is_file()
        assert report.stat().st_size > 100_000
        metrics = json.loads((home / "reports" / f"demo-{name}.json").read_text())["metrics"]
        assert metrics["total_trades"] > 10
    assert "demo done" in result.stdout
