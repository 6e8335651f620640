"""Strategies: the base class, the registry and the built-in strategies."""
