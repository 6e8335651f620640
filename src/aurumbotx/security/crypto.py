"""Encryption of exchange keys at rest (Fernet, with rotation through MultiFernet).

The key comes from the settings (`AURUMBOTX_SECURITY__ENCRYPTION_KEY`), never generated per
start (the spec's sketch did, which made every stored key unreadable after a restart). Several
comma-separated keys enable rotation: the first encrypts, all decrypt, `rotate` re-encrypts.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from aurumbotx.domain.errors import ConfigError


class SecretBox:
    """Encrypts and decrypts short secrets such as exchange API keys."""

    def __init__(self, keys: SecretStr | str) -> None:
        raw = keys.get_secret_value() if isinstance(keys, SecretStr) else keys
        parts = [k.strip() for k in raw.split(",") if k.strip()]
        if not parts:
            raise ConfigError("no encryption key configured (AURUMBOTX_SECURITY__ENCRYPTION_KEY)")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])
        except (ValueError, TypeError):
            raise ConfigError(
                "AURUMBOTX_SECURITY__ENCRYPTION_KEY is not a valid Fernet key"
            ) from None

    def encrypt(self, plaintext: str) -> str:
        """Ciphertext (url-safe text) of `plaintext`."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """Plaintext of `ciphertext`; ConfigError when no configured key can read it."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise ConfigError(
                "a stored secret cannot be decrypted with the configured encryption key(s); "
                "was AURUMBOTX_SECURITY__ENCRYPTION_KEY changed without keeping the old key?"
            ) from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt `ciphertext` under the newest key."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise ConfigError("a stored secret cannot be decrypted for rotation") from None


def generate_key() -> str:
    """A new Fernet key."""
    return Fernet.generate_key().decode("ascii")
