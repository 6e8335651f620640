"""The services' fixtures: the composition root on a fresh SQLite database, and two users.

Kept here, not in the test kit: `aurumbotx.testing` sits beside `bootstrap` and may not import it.
"""

from collections.abc import Iterator

import pytest

from aurumbotx.bootstrap import Container, build_container
from aurumbotx.config import get_settings
from aurumbotx.db import migrate
from aurumbotx.db.engine import session_scope
from aurumbotx.db.repositories.users import UserRepository
from aurumbotx.security.crypto import generate_key


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    """The composition root on a fresh SQLite database in a temp home, with an encryption key."""
    monkeypatch.setenv("AURUMBOTX_SECURITY__ENCRYPTION_KEY", generate_key())
    get_settings.cache_clear()
    box = build_container(get_settings())
    migrate.upgrade(box.engine)
    yield box
    box.close()


@pytest.fixture
def users(ctx: Container) -> tuple[int, int]:
    """The ids of alice and bob."""
    with session_scope(ctx.session_factory) as session:
        repo = UserRepository(session)
        return repo.add("alice", "a@example.com", "x").id, repo.add("bob", "b@example.com", "x").id
