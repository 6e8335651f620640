"""The ccxt adapter: the only package of AurumBotX that imports ccxt (an import contract).

`factory` builds configured ccxt clients, `shared` keeps one instance per account, `errors` is
the one place where ccxt's exceptions become ours (`domain/errors.py`), `markets` reads market
rules, `orders` reads orders and trades, `client` is the live ExchangeClient, `ohlcv` the REST
market data behind data's feeds and downloads, and `stream` the websocket candles (ccxt.pro).
Temporary errors are retried by `domain/retry.py`.
"""
