import pytest
from cryptography.fernet import Fernet

from aurumbotx.domain.errors import ConfigError, InvalidInputError
from aurumbotx.security.crypto import SecretBox, generate_key
from aurumbotx.security.passwords import hash_password, verify_password


def test_bcrypt_hash_and_verify() -> None:
    hashed = hash_password("correct horse", rounds=4)
    assert hashed.startswith("$2b$04$")
    assert "correct horse" not in hashed
    assert verify_password("correct horse", hashed)
    assert not verify_password("wrong horse", hashed)
    assert not verify_password("correct horse", "not-a-hash")


@pytest.mark.parametrize("password", ["short", "é" * 37])
def test_password_rules(password: str) -> None:
    with pytest.raises(InvalidInputError):
        hash_password(password, rounds=4)


def test_secret_box_round_trip_and_rotation() -> None:
    old, new = generate_key(), generate_key()
    box_old = SecretBox(old)
    token = box_old.encrypt("binance-api-key")
    assert "binance-api-key" not in token
    assert box_old.decrypt(token) == "binance-api-key"
    rotated_box = SecretBox(f"{new},{old}")
    assert rotated_box.decrypt(token) == "binance-api-key"
    rotated = rotated_box.rotate(token)
    assert SecretBox(new).decrypt(rotated) == "binance-api-key"


def test_secret_box_wrong_key_is_clear() -> None:
    token = SecretBox(generate_key()).encrypt("x")
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        SecretBox(Fernet.generate_key().decode()).decrypt(token)
    with pytest.raises(ConfigError, match="not a valid Fernet key"):
        SecretBox("nope")
