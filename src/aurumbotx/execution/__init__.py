"""Execution: the ExchangeClient protocol, the paper exchange and the ccxt adapter.

`ccxt_errors` is the one place where ccxt's exceptions become ours (`domain/errors.py`), and
where temporary errors are retried with backoff; `ccxt_factory` builds configured ccxt clients.
"""
