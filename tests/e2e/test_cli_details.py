"""What bit a new user on the first day: output folders, dates, costs, logs, warnings, tables."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from aurumbotx.testing.cli import assert_one_clear_line, cli_executable, run_cli
from aurumbotx.testing.market import write_shared_csv


@pytest.fixture
def candle_file(tmp_path: Path) -> Path:
    """2,000 real BTC/USDT 1h candles (2017-08-17 .. 2017-11-08) in the shared CSV format."""
    return write_shared_csv("binance_BTC-USDT_1h", 2_000, tmp_path / "binance_BTC-USDT_1h.csv")


def backtest(candle_file: Path, *options: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return run_cli(
        "backtest", "-s", "sma_cross", "-d", str(candle_file), "--no-record", *options, env=env
    )


def test_json_and_report_go_into_folders_that_do_not_exist_yet(
    candle_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "runs" / "2024" / "sma.json"
    report = tmp_path / "reports" / "deep" / "sma.html"
    result = backtest(candle_file, "--json", str(out), "--report", str(report))
    assert result.returncode == 0, result.output
    assert json.loads(out.read_text())["run"]["strategy"] == "sma_cross"
    assert "<html" in report.read_text(encoding="utf-8").lower()


def test_an_output_path_that_cannot_be_written_fails_before_the_run(
    candle_file: Path, tmp_path: Path
) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    line = assert_one_clear_line(
        backtest(candle_file, "--json", str(tmp_path / "taken" / "x.json")), code=2
    )
    assert "--json: cannot create the folder" in line
    line = assert_one_clear_line(backtest(candle_file, "--report", str(tmp_path)), code=2)
    assert "is a folder; give a file name" in line
    line = assert_one_clear_line(
        run_cli("train", "-d", str(candle_file), "--report", str(tmp_path / "taken" / "r.html")),
        code=2,
    )
    assert "--report: cannot create the folder" in line


@pytest.mark.parametrize("value", ["03/02/2024", "2017-02-30", "2017-10-01 12:00", "Oct 1"])
@pytest.mark.parametrize(
    "command",
    [
        ("backtest", "-s", "sma_cross", "--no-record", "--from"),
        ("backtest", "-s", "sma_cross", "--no-record", "--to"),
        ("train", "--from"),
        ("train", "--to"),
    ],
)
def test_dates_that_are_not_iso_are_refused(
    candle_file: Path, command: tuple[str, ...], value: str
) -> None:
    *head, option = command
    result = run_cli(*head, "-d", str(candle_file), option, value)
    line = assert_one_clear_line(result, code=2)
    assert line.startswith(f"error: {option}: not a date: {value!r}; use YYYY-MM-DD or ")


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_download_data_refuses_a_bad_date_before_any_network(option: str) -> None:
    result = run_cli(
        "download-data", "--pairs", "BTC/USDT", option, "03/02/2024", env={"NO_PROXY": "*"}
    )
    line = assert_one_clear_line(result, code=2)
    assert f"{option}: not a date: '03/02/2024'" in line


def test_a_time_with_an_offset_is_read_as_utc(candle_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "w.json"
    result = backtest(
        candle_file,
        "--from",
        "2017-10-01T02:00+02:00",
        "--to",
        "2017-10-02T12:00Z",
        "--json",
        str(out),
        "--lookahead-sample",
        "0",
    )
    assert result.returncode == 0, result.output
    run = json.loads(out.read_text())["run"]
    assert run["start"].startswith("2017-10-01T00:00")
    assert run["end"].startswith("2017-10-02T12:00")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--fee", "0.1", "--fee must be between 0 and 0.05 (a fraction: 0.001 = 0.1 %), got 0.1"),
        ("--fee", "-0.001", "--fee must be between 0 and 0.05"),
        ("--fee", "1", "--fee must be between 0 and 0.05"),
        ("--slippage-bps", "-1", "--slippage-bps must be between 0 and 1000 basis points"),
        ("--slippage-bps", "1000.5", "got 1000.5"),
    ],
)
def test_absurd_costs_are_refused(candle_file: Path, option: str, value: str, message: str) -> None:
    line = assert_one_clear_line(backtest(candle_file, option, value), code=2)
    assert message in line


def test_the_largest_allowed_costs_run(candle_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "costly.json"
    result = backtest(candle_file, "--fee", "0.05", "--slippage-bps", "1000", "--json", str(out))
    assert result.returncode == 0, result.output
    run = json.loads(out.read_text())["run"]
    assert (run["fee_rate"], run["slippage_bps"]) == ("0.05", "1000")


def test_train_refuses_an_absurd_fee_before_any_work(candle_file: Path) -> None:
    result = run_cli("train", "--data", str(candle_file), "--fee", "0.1")
    assert result.returncode == 2, result.output
    assert "Invalid value for '--fee': Input should be less than or equal to 0.05" in result.stderr
    assert "Traceback" not in result.output


def test_fee_help_says_it_is_a_fraction() -> None:
    result = run_cli("backtest", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "a fraction from 0 to 0.05 (0.001 = 0.1 %)" in text
    assert "0 to 1000" in text


def test_backtest_stdout_holds_no_log_line(candle_file: Path, tmp_path: Path) -> None:
    # Every SQL statement is logged at DEBUG with echo on: plenty of log lines to misroute.
    env = {"AURUMBOTX_LOGGING__LEVEL": "DEBUG", "AURUMBOTX_DATABASE__ECHO": "true"}
    result = run_cli("backtest", "-s", "sma_cross", "-d", str(candle_file), env=env)
    assert result.returncode == 0, result.output
    assert "roi_percentage" in result.stdout
    assert not [line for line in result.stdout.splitlines() if line.lstrip().startswith("{")]
    assert "sqlalchemy" not in result.stdout
    logs = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any(entry["logger"] == "sqlalchemy.engine.Engine" for entry in logs)


def _merged(*args: str) -> tuple[int, str]:
    """Run the console script with stderr merged into stdout, in the order a terminal shows."""
    import os

    proc = subprocess.run(
        [cli_executable(), *args],
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=180,
        check=False,
    )
    return proc.returncode, " ".join(proc.stdout.split())  # long warnings wrap at 200


def _ai_backtest(candle_file: Path, version: str, *options: str) -> tuple[int, str]:
    return _merged(
        "backtest",
        "-s",
        "ai_adaptive",
        "-d",
        str(candle_file),
        "--model",
        version,
        "--no-record",
        "--lookahead-sample",
        "2",
        *options,
    )


def test_in_sample_warning_comes_first_and_names_an_honest_window(
    home: Path, tmp_path: Path
) -> None:
    from aurumbotx.ml.artifact import save_artifact
    from aurumbotx.testing.models import BTC_FILE, btc_model

    artifact = btc_model()  # trained on 2017-08-17 .. 2018-01-31 02:00
    save_artifact(artifact, home / "models")
    longer = write_shared_csv(BTC_FILE, 6_000, tmp_path / "binance_BTC-USDT_1h.csv")
    code, text = _ai_backtest(longer, artifact.version)
    assert code == 0, text
    warning = text.index("warning: IN-SAMPLE")
    assert warning < text.index("roi_percentage")
    assert warning < text.index("lookahead check")
    assert f"`--model {artifact.version} --from 2018-02-01`" in text
    ends = "training data, which ends 2018-01-31 02:00 UTC; the data ends 2018-04-25 19:00 UTC"
    assert ends in text
    assert text.count("IN-SAMPLE") == 1


def test_in_sample_warning_says_when_the_data_has_no_honest_window(
    home: Path, tmp_path: Path
) -> None:
    from aurumbotx.ml.artifact import save_artifact
    from aurumbotx.testing.models import BTC_FILE, BTC_TRAINING_ROWS, btc_model

    artifact = btc_model()
    save_artifact(artifact, home / "models")
    same = write_shared_csv(BTC_FILE, BTC_TRAINING_ROWS, tmp_path / "binance_BTC-USDT_1h.csv")
    code, text = _ai_backtest(same, artifact.version)
    assert code == 0, text
    assert text.index("warning: IN-SAMPLE") < text.index("roi_percentage")
    assert "This data has no out-of-sample window: it ends 2018-01-31 02:00 UTC" in text
    assert "--from" not in text


def _seed_listings(home: Path, candle_file: Path) -> dict[str, str]:
    """A user, a key, a stored series and a model with long names; their ids."""
    from aurumbotx.bootstrap import build_container
    from aurumbotx.config import get_settings
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.models import ModelRepository
    from aurumbotx.ml.artifact import save_artifact
    from aurumbotx.testing.models import btc_model

    assert run_cli("db", "upgrade").returncode == 0
    user = "a_trader_with_a_rather_long_name_01"
    created = run_cli(
        "users",
        "create",
        "-u",
        user,
        "-e",
        "someone.with.a.long.address@an-example-company.com",
        "--password-stdin",
        input_text="a long enough password\n",
    )
    assert created.returncode == 0, created.output
    key = run_cli("keys", "add", "--stdin", input_text="AKIAABCDEFGHIJKLMNOP\nsecretsecret\n")
    assert key.returncode == 0, key.output
    imported = run_cli("data", "import", str(candle_file), "--pair", "BTC/USDT")
    assert imported.returncode == 0, imported.output
    artifact = btc_model()
    artifact.meta["model_name"] = "ensemble-with-a-long-descriptive-name-v2"
    path = save_artifact(artifact, home / "models")
    box = build_container(get_settings())
    with session_scope(box.session_factory) as session:
        ModelRepository(session).add(artifact, path)
    return {"version": artifact.version, "user": user, "key": "AKIA…MNOP"}


def test_listings_fit_80_columns_and_keep_every_id_whole(home: Path, candle_file: Path) -> None:
    ids = _seed_listings(home, candle_file)
    expected = {
        ("models", "list"): [ids["version"], "BTC/USDT", "1h"],
        ("data", "list"): ["binance", "BTC/USDT", "1h", "2017-08-17", "2017-11-08", "2000"],
        ("users", "list"): [ids["user"]],
        ("keys", "list"): ["binance", ids["key"]],
    }
    for command, words in expected.items():
        result = run_cli(*command, env={"COLUMNS": "80"})
        assert result.returncode == 0, result.output
        lines = result.stdout.splitlines()
        assert max(len(line) for line in lines) <= 80, result.stdout
        assert "…" not in result.stdout.replace(ids["key"], ""), result.stdout
        for word in words:
            assert re.search(rf"(^|\s){re.escape(word)}(\s|$)", result.stdout), (
                word,
                result.stdout,
            )
    users = run_cli("users", "list", env={"COLUMNS": "80"}).stdout
    assert re.search(r"^1\s+" + ids["user"], users, re.M), users
