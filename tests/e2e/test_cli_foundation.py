"""The foundation's commands, run as a user runs them: the real console script."""

import pytest

from aurumbotx.db import migrate
from aurumbotx.testing.cli import assert_one_clear_line, run_cli


def test_help_lists_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "db", "users", "config", "secrets"):
        assert f" {command} " in result.stdout, command
    assert run_cli("db", "--help").stdout.count("upgrade") >= 1
    assert run_cli("--version").stdout.startswith("aurumbotx ")


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_db_and_users(backend: str, request: pytest.FixtureRequest) -> None:
    env = {}
    if backend == "postgresql":
        env["AURUMBOTX_DATABASE__URL"] = request.getfixturevalue("postgres_url")
    early = run_cli("users", "list", env=env)
    assert_one_clear_line(early, 2, "run `aurumbotx db upgrade` first")

    up = run_cli("db", "upgrade", env=env)
    assert up.returncode == 0, up.output
    assert f"at revision {migrate.head()}" in up.stdout
    assert "up to date" in run_cli("db", "current", env=env).stdout

    created = run_cli(
        "users",
        "create",
        "--username",
        "alice",
        "--email",
        "Alice@Example.com",
        "--password-stdin",
        env=env,
        input_text="s3cret-pass\n",
    )
    assert created.returncode == 0, created.output
    assert "created user alice" in created.stdout
    assert "s3cret-pass" not in created.output

    listed = run_cli("users", "list", env=env)
    assert "alice" in listed.stdout
    assert "Alice@example.com" in listed.stdout  # the domain part is normalised

    duplicate = run_cli(
        "users",
        "create",
        "-u",
        "alice",
        "-e",
        "other@example.com",
        "--password-stdin",
        env=env,
        input_text="another-pass\n",
    )
    assert_one_clear_line(duplicate, 2, "username already exists")

    down = run_cli("db", "downgrade", "base", env=env)
    assert down.returncode == 0
    assert "at revision base" in down.stdout


def test_invalid_email_is_one_line() -> None:
    assert run_cli("db", "upgrade").returncode == 0
    result = run_cli(
        "users",
        "create",
        "--username",
        "bob",
        "--email",
        "bob-at-example",
        "--password-stdin",
        input_text="password123\n",
    )
    assert_one_clear_line(result, 2, "invalid email 'bob-at-example'")


def test_short_password_and_empty_stdin() -> None:
    assert run_cli("db", "upgrade").returncode == 0
    short = run_cli(
        "users",
        "create",
        "-u",
        "bob",
        "-e",
        "b@example.com",
        "--password-stdin",
        input_text="abc\n",
    )
    assert_one_clear_line(short, 2, "at least 8 characters")
    empty = run_cli(
        "users", "create", "-u", "bob", "-e", "b@example.com", "--password-stdin", input_text=""
    )
    assert_one_clear_line(empty, 2, "standard input is empty")


def test_malformed_database_url() -> None:
    result = run_cli("db", "current", env={"AURUMBOTX_DATABASE__URL": "postgres//oops"})
    assert_one_clear_line(result, 2, "not a valid database URL")


def test_unreachable_postgres() -> None:
    url = "postgresql://postgres:topsecret@127.0.0.1:1/test"
    result = run_cli("db", "upgrade", env={"AURUMBOTX_DATABASE__URL": url})
    assert_one_clear_line(
        result, 1, "cannot reach the database at postgresql://postgres:***@127.0.0.1:1/test"
    )
    assert "topsecret" not in result.output


def test_production_without_secret_refuses_start() -> None:
    result = run_cli("run", env={"AURUMBOTX_ENVIRONMENT": "production"})
    assert_one_clear_line(result, 2, "AURUMBOTX_SECURITY__JWT_SECRET is missing")


def test_config_masks_secrets() -> None:
    result = run_cli("config", env={"AURUMBOTX_SECURITY__JWT_SECRET": "x" * 40})
    assert result.returncode == 0, result.output
    assert "x" * 40 not in result.stdout
    assert '"jwt_secret": "***"' in result.stdout


def test_secrets_generate() -> None:
    result = run_cli("secrets", "generate")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("AURUMBOTX_SECURITY__JWT_SECRET=")
    assert len(lines[0].split("=", 1)[1]) >= 48
    assert lines[1].startswith("AURUMBOTX_SECURITY__ENCRYPTION_KEY=")


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["users", "create"], "Missing option '--username'"),
        (["nosuch"], "No such command 'nosuch'"),
        (["download-data", "--retries", "abc"], "Invalid value for '--retries'"),
    ],
)
def test_usage_errors_are_clear(args: list[str], text: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.output
    assert text in result.stderr
