"""User services: register, authenticate (counting logins), get, list, find by name."""

from __future__ import annotations

import pytest

from aurumbotx.bootstrap import Container
from aurumbotx.domain.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from aurumbotx.services import users
from aurumbotx.services.errors import InvalidCredentialsError


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    from aurumbotx.security import passwords

    monkeypatch.setattr(passwords, "BCRYPT_ROUNDS", 4)
    monkeypatch.setattr(passwords.hash_password, "__defaults__", (4,))


def test_a_registered_user_logs_in_and_each_login_is_counted(ctx: Container) -> None:
    made = users.register_user(ctx, " ann ", "Ann@Example.com", "password123")
    assert (made.username, made.email, made.login_count, made.last_login) == (
        "ann",
        "Ann@example.com",
        0,
        None,
    )
    first = users.authenticate(ctx, "ANN", "password123")
    second = users.authenticate(ctx, "ann", "password123")
    assert (first.id, first.login_count, second.login_count) == (made.id, 1, 2)
    assert second.last_login is not None
    assert users.get_user(ctx, made.id).login_count == 2


def test_a_wrong_password_and_an_unknown_name_fail_alike(ctx: Container) -> None:
    users.register_user(ctx, "ann", "ann@example.com", "password123")
    with pytest.raises(InvalidCredentialsError) as wrong:
        users.authenticate(ctx, "ann", "password124")
    with pytest.raises(InvalidCredentialsError) as unknown:
        users.authenticate(ctx, "nobody", "password123")
    assert str(wrong.value) == str(unknown.value) == "wrong username or password"
    assert users.get_user(ctx, users.user_id_named(ctx, "ann")).login_count == 0


def test_registration_refuses_bad_fields_and_taken_names(ctx: Container) -> None:
    with pytest.raises(InvalidInputError, match="invalid username"):
        users.check_new_user("a", "a@example.com")
    with pytest.raises(InvalidInputError, match="at least 8"):
        users.register_user(ctx, "ann", "ann@example.com", "short")
    users.register_user(ctx, "ann", "ann@example.com", "password123")
    with pytest.raises(AlreadyExistsError, match="username"):
        users.register_user(ctx, "ANN", "other@example.com", "password123")


def test_users_are_listed_oldest_first_and_found_by_name(ctx: Container) -> None:
    ann = users.register_user(ctx, "ann", "ann@example.com", "password123")
    bob = users.register_user(ctx, "bob", "bob@example.com", "password123")
    assert [u.username for u in users.list_users(ctx)] == ["ann", "bob"]
    assert users.user_id_named(ctx, "BOB") == bob.id
    with pytest.raises(NotFoundError, match="no user named 'carl'"):
        users.user_id_named(ctx, "carl")
    with pytest.raises(NotFoundError, match=f"no user with id {ann.id + 99}"):
        users.get_user(ctx, ann.id + 99)
