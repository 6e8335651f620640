"""The use cases a user performs, shared by the CLI, the API, the dashboard and Telegram.

Each operation is a function (or a small class) with typed inputs and typed results (frozen
dataclasses or pydantic models, never ORM rows). Every operation on owned data takes the acting
user's id and checks ownership itself: another user's bot, key, backtest or model is "not found"
(`NotFoundError`), never someone else's data. Callers pass their adapters in through a
`ServiceContext` (the composition root's container satisfies it); services never import the
composition root, the CLI or the API.
"""
