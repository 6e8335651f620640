"""Execution: the ExchangeClient protocol, the paper exchange and the ccxt adapter (`ccxt/`)."""
