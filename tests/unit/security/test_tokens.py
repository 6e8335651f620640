"""JWTs: HS256 with the five required claims, the type enforced, every failure the same error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from aurumbotx.security.tokens import (
    InvalidTokenError,
    TokenCodec,
    new_claims,
    token_hash,
)

SECRET = "a test secret that is long enough for HS256!"


def test_round_trip_with_every_claim() -> None:
    codec = TokenCodec(SECRET)
    claims = new_claims(7, "access", timedelta(minutes=5))
    token = codec.encode(claims)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    payload = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert set(payload) == {"sub", "type", "jti", "iat", "exp"}
    assert codec.decode(token, "access") == claims


def test_two_tokens_have_different_ids() -> None:
    a, b = (new_claims(1, "refresh", timedelta(days=1)) for _ in range(2))
    assert a.jti != b.jti


def test_wrong_type_is_refused() -> None:
    codec = TokenCodec(SECRET)
    refresh = codec.encode(new_claims(7, "refresh", timedelta(days=1)))
    with pytest.raises(InvalidTokenError):
        codec.decode(refresh, "access")


def test_expired_is_refused() -> None:
    codec = TokenCodec(SECRET)
    past = datetime.now(UTC) - timedelta(minutes=10)
    token = codec.encode(new_claims(7, "access", timedelta(minutes=5), past))
    with pytest.raises(InvalidTokenError):
        codec.decode(token, "access")


@pytest.mark.parametrize(
    "payload",
    [
        {"sub": "7", "type": "access", "iat": 1, "exp": 4_000_000_000},  # no jti
        {"sub": "x", "type": "access", "jti": "j", "iat": 1, "exp": 4_000_000_000},
        {"type": "access", "jti": "j", "iat": 1, "exp": 4_000_000_000},  # no sub
    ],
)
def test_incomplete_or_malformed_claims_are_refused(payload: dict[str, object]) -> None:
    token = jwt.encode(payload, SECRET, algorithm="HS256")
    with pytest.raises(InvalidTokenError):
        TokenCodec(SECRET).decode(token, "access")


def test_other_secret_and_none_algorithm_are_refused() -> None:
    claims = new_claims(7, "access", timedelta(minutes=5))
    forged = TokenCodec("someone else's secret, also quite long").encode(claims)
    unsigned = jwt.encode(
        {"sub": "7", "type": "access", "jti": "j", "iat": 1, "exp": 4_000_000_000},
        None,
        algorithm="none",
    )
    for token in (forged, unsigned):
        with pytest.raises(InvalidTokenError):
            TokenCodec(SECRET).decode(token, "access")


def test_hash_is_stable_and_not_the_token() -> None:
    assert token_hash("abc") == token_hash("abc")
    assert token_hash("abc") != token_hash("abd")
    assert len(token_hash("abc")) == 64
