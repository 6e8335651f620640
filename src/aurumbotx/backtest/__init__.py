"""Backtests: the trading engine driven by a simulated clock over history."""
