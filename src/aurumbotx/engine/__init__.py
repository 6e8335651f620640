"""The trading engine: bots, order router, portfolio, event sink, clock."""
