"""Strategy registry (the spec's StrategyFactory): create a strategy by name.

Three sources, in this order:
1. built-ins: `sma_cross`, `scalping`, `swing` (and `ai_adaptive` once the AI pipeline ships);
2. installed packages declaring an entry point in the group ``aurumbotx.strategies``
   (``my_strategy = "my_package.module:MyStrategy"`` in their pyproject.toml);
3. a file: ``path/to/file.py`` (its one Strategy subclass) or ``path/to/file.py:ClassName``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from importlib.metadata import entry_points
from pathlib import Path

from aurumbotx.domain.errors import InvalidInputError, NotFoundError, StrategyError
from aurumbotx.strategies.base import Strategy

ENTRY_POINT_GROUP = "aurumbotx.strategies"

BUILTINS: dict[str, str] = {
    "sma_cross": "aurumbotx.strategies.sma_cross:SmaCrossStrategy",
    "scalping": "aurumbotx.strategies.scalping:ScalpingStrategy",
    "swing": "aurumbotx.strategies.swing:SwingTradingStrategy",
    "ai_adaptive": "aurumbotx.strategies.ai_adaptive:AiAdaptiveStrategy",
}


def _import(target: str) -> type[Strategy]:
    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    return _checked(cls, target)


def _checked(cls: object, origin: str) -> type[Strategy]:
    if not (inspect.isclass(cls) and issubclass(cls, Strategy)):
        raise StrategyError(f"{origin} is not a Strategy subclass")
    return cls


def _entry_point(name: str) -> type[Strategy] | None:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            try:
                loaded = ep.load()
            except Exception as error:
                raise StrategyError(
                    f"strategy {name!r} ({ep.value}) failed to import: {error}"
                ) from error
            return _checked(loaded, ep.value)
    return None


def _from_file(spec: str) -> type[Strategy]:
    path_text, sep, class_name = spec.rpartition(":")
    if not sep or not path_text.endswith(".py"):
        path_text, class_name = spec, ""
    path = Path(path_text)
    if not path.is_file():
        raise NotFoundError(f"strategy file not found: {path}")
    module_spec = importlib.util.spec_from_file_location(f"aurumbotx_user_{path.stem}", path)
    if module_spec is None or module_spec.loader is None:
        raise StrategyError(f"cannot load strategy file {path}")
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:
        raise StrategyError(f"strategy file {path} failed to import: {error}") from error
    if class_name:
        if not hasattr(module, class_name):
            raise NotFoundError(f"no class {class_name!r} in {path}")
        return _checked(getattr(module, class_name), f"{path}:{class_name}")
    found = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, Strategy)
        and obj is not Strategy
        and obj.__module__ == module.__name__
        and not inspect.isabstract(obj)
    ]
    if len(found) != 1:
        raise StrategyError(
            f"{path} defines {len(found)} Strategy subclasses; name one with {path}:ClassName"
        )
    return found[0]


def strategy_class(name: str) -> type[Strategy]:
    """The class behind a strategy name, entry point or file."""
    if name in BUILTINS:
        return _import(BUILTINS[name])
    found = _entry_point(name)
    if found is not None:
        return found
    if name.endswith(".py") or ".py:" in name:
        return _from_file(name)
    raise InvalidInputError(
        f"unknown strategy {name!r} (available: {', '.join(available())}; "
        "or a file path/to/strategy.py)"
    )


def available() -> list[str]:
    """Names of built-in and installed strategies."""
    names = set(BUILTINS) | {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(names)


def create_strategy(
    name: str, params: dict[str, object] | None = None, *, models_dir: Path | None = None
) -> Strategy:
    """Instantiate a strategy by name with validated parameters; AI ones get `models_dir`."""
    cls = strategy_class(name)
    if models_dir is not None:
        from aurumbotx.strategies.ai_adaptive import AiAdaptiveStrategy

        if issubclass(cls, AiAdaptiveStrategy):
            return cls(models_dir=models_dir, **(params or {}))
    return cls(**(params or {}))


class StrategyFactory:
    """The spec's factory, kept for readers of the spec."""

    @staticmethod
    def create_strategy(strategy_type: str, **params: object) -> Strategy:
        """Create by name."""
        return create_strategy(strategy_type, params)
