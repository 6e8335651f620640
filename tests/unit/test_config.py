import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from aurumbotx.config import get_settings, load_settings, resolve_secrets
from aurumbotx.domain.enums import Environment, TradingMode
from aurumbotx.domain.errors import ConfigError, MissingSecretError

STRONG = "s" * 40


def test_defaults_are_embedded(home: Path) -> None:
    settings = load_settings()
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.database_url == f"sqlite:///{(home / 'aurumbotx.db').resolve()}"
    assert settings.redis.url is None
    assert settings.exchange.mode is TradingMode.PAPER
    assert settings.candle_dir == home / "data"


def test_prefix_and_nesting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AURUMBOTX_DATABASE__URL", "postgresql://u@h/db")
    monkeypatch.setenv("AURUMBOTX_REDIS__URL", "redis://localhost:6379/2")
    monkeypatch.setenv("AURUMBOTX_RISK__MAX_ORDERS_PER_HOUR", "7")
    monkeypatch.setenv("AURUMBOTX_LOGGING__LEVEL", "debug")
    settings = load_settings()
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.redis.url == "redis://localhost:6379/2"
    assert settings.risk.max_orders_per_hour == 7
    assert settings.logging.level == "DEBUG"


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("AURUMBOTX_EXCHANGE__NAME=kraken\nAURUMBOTX_API__PORT=9001\n")
    settings = load_settings()
    assert settings.exchange.name == "kraken"
    assert settings.api.port == 9001


def test_invalid_value_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AURUMBOTX_API__PORT", "eighty")
    with pytest.raises(ConfigError, match=r"AURUMBOTX_API__PORT.*'eighty'"):
        load_settings()


def test_development_secrets_generated_once_with_0600(home: Path) -> None:
    first = resolve_secrets(load_settings())
    second = resolve_secrets(load_settings())
    assert first.security.jwt_secret is not None
    assert second.security.jwt_secret is not None
    assert (
        first.security.jwt_secret.get_secret_value()
        == second.security.jwt_secret.get_secret_value()
    )
    assert len(first.security.jwt_secret.get_secret_value()) >= 32
    key = first.security.encryption_key
    assert key is not None
    Fernet(key.get_secret_value().encode())  # a usable key
    for name in ("jwt_secret", "encryption_key"):
        mode = stat.S_IMODE((home / "secrets" / name).stat().st_mode)
        assert mode == 0o600, oct(mode)
    assert stat.S_IMODE((home / "secrets").stat().st_mode) == 0o700


def test_explicit_development_secret_wins(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("AURUMBOTX_SECURITY__JWT_SECRET", STRONG)
    settings = resolve_secrets(load_settings())
    assert settings.security.jwt_secret is not None
    assert settings.security.jwt_secret.get_secret_value() == STRONG
    assert not (home / "secrets" / "jwt_secret").exists()


@pytest.mark.parametrize("jwt", [None, "changeme", "secret", "  ", "your-secret-key"])
def test_production_refuses_missing_or_placeholder(
    monkeypatch: pytest.MonkeyPatch, home: Path, jwt: str | None
) -> None:
    monkeypatch.setenv("AURUMBOTX_ENVIRONMENT", "production")
    monkeypatch.setenv("AURUMBOTX_SECURITY__ENCRYPTION_KEY", Fernet.generate_key().decode())
    if jwt is not None:
        monkeypatch.setenv("AURUMBOTX_SECURITY__JWT_SECRET", jwt)
    with pytest.raises(MissingSecretError, match="AURUMBOTX_SECURITY__JWT_SECRET") as info:
        resolve_secrets(load_settings())
    assert "\n" not in str(info.value)
    assert not (home / "secrets").exists()


def test_production_refuses_missing_encryption_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AURUMBOTX_ENVIRONMENT", "production")
    monkeypatch.setenv("AURUMBOTX_SECURITY__JWT_SECRET", STRONG)
    with pytest.raises(MissingSecretError, match="ENCRYPTION_KEY"):
        resolve_secrets(load_settings())


def test_production_refuses_short_jwt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AURUMBOTX_ENVIRONMENT", "production")
    monkeypatch.setenv("AURUMBOTX_SECURITY__JWT_SECRET", "short-but-not-placeholder")
    monkeypatch.setenv("AURUMBOTX_SECURITY__ENCRYPTION_KEY", Fernet.generate_key().decode())
    with pytest.raises(MissingSecretError, match="shorter than 32"):
        resolve_secrets(load_settings())


def test_production_accepts_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    key1, key2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("AURUMBOTX_ENVIRONMENT", "production")
    monkeypatch.setenv("AURUMBOTX_SECURITY__JWT_SECRET", STRONG)
    monkeypatch.setenv("AURUMBOTX_SECURITY__ENCRYPTION_KEY", f"{key1},{key2}")
    settings = resolve_secrets(load_settings())
    assert settings.is_production
    assert settings.security.encryption_key is not None
    assert settings.security.encryption_key.get_secret_value() == f"{key1},{key2}"


def test_bad_fernet_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AURUMBOTX_SECURITY__ENCRYPTION_KEY", "not-a-fernet-key")
    with pytest.raises(ConfigError, match="not a valid Fernet key"):
        resolve_secrets(load_settings())


def test_get_settings_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_settings() is get_settings()
