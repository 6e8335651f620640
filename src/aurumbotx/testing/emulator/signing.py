"""Binance's request signing, checked on every signed (USER_DATA / TRADE) endpoint.

A signed request carries the API key in the ``X-MBX-APIKEY`` header, and ``timestamp``,
optional ``recvWindow`` (default 5000 ms, at most 60000) and ``signature`` parameters; the
signature is the hex HMAC-SHA256, keyed with the account's secret, of the query string
concatenated with the request body, without the signature itself. Errors as Binance answers:

    no key header                 401  -2014  API-key format invalid.
    unknown key                   401  -2015  Invalid API-key, IP, or permissions for action.
    wrong signature               400  -1022  Signature for this request is not valid.
    timestamp too old             400  -1021  Timestamp for this request is outside of the
                                              recvWindow.
    timestamp > 1 s in the future 400  -1021  Timestamp for this request was 1000ms ahead of
                                              the server's time.

The timestamp is checked when the request is PROCESSED (after an injected delay), as on
Binance: a request held up longer than its recvWindow is refused, never executed late.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from aurumbotx.testing.emulator.messages import Handler, Request, Response, binance_error
from aurumbotx.testing.emulator.spot import Account
from aurumbotx.testing.emulator.state import EmulatorState

DEFAULT_RECV_WINDOW_MS = 5000
MAX_RECV_WINDOW_MS = 60000
MAX_AHEAD_MS = 1000

SignedHandler = Callable[[Request, EmulatorState, Account], Response]


def _without_signature(raw: str) -> str:
    return "&".join(p for p in raw.split("&") if p and not p.startswith("signature="))


def sign(secret: str, payload: str) -> str:
    """Binance's HMAC-SHA256 signature of `payload` (hex)."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _mandatory(name: str) -> Response:
    return binance_error(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def authenticate(request: Request, state: EmulatorState) -> Account | Response:
    """The account a signed request belongs to, or Binance's error answer."""
    api_key = request.header("X-MBX-APIKEY")
    if not api_key:
        return binance_error(-2014, "API-key format invalid.", 401)
    with state.lock:
        account = state.spot.accounts.get(api_key)
    if account is None:
        return binance_error(-2015, "Invalid API-key, IP, or permissions for action.", 401)
    signature = request.params.get("signature")
    if not signature:
        return _mandatory("signature")
    payload = _without_signature(request.query) + _without_signature(request.body.decode())
    if not hmac.compare_digest(sign(account.secret, payload), signature.lower()):
        return binance_error(-1022, "Signature for this request is not valid.")
    try:
        timestamp = int(request.params["timestamp"])
        window = int(request.params.get("recvWindow") or DEFAULT_RECV_WINDOW_MS)
    except (KeyError, ValueError):
        return _mandatory("timestamp")
    if not 0 < window <= MAX_RECV_WINDOW_MS:
        return binance_error(-1131, "recvWindow must be less than 60000")
    now = state.now_ms()
    if timestamp > now + MAX_AHEAD_MS:
        return binance_error(
            -1021, "Timestamp for this request was 1000ms ahead of the server's time."
        )
    if now - timestamp > window:
        return binance_error(-1021, "Timestamp for this request is outside of the recvWindow.")
    return account


def signed(handler: SignedHandler) -> Handler:
    """A route handler that runs `handler` only for a correctly signed request."""

    def checked(request: Request, state: EmulatorState) -> Response:
        account = authenticate(request, state)
        if isinstance(account, Response):
            return account
        return handler(request, state, account)

    checked.__doc__ = handler.__doc__
    return checked
