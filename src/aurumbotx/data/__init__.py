"""Market data: candle file readers, validation, resampling, the Parquet store and downloads.

    readers.load_candles(path)        CSV, Binance kline archive (csv/zip) or Parquet -> frame
    validation.validate_arrays(...)   the rules every load applies; repair; gap detection
    resample.resample_candles(...)    1m -> 5m -> 1h exactly as the exchange builds candles
    store.CandleStore(root)           one Parquet file per exchange/pair/timeframe + rules
    download.download_candles(...)    incremental, resumable downloads from a HistorySource port

Modules are imported one by one (nothing is re-exported here) so that importing the package
stays cheap for the CLI.
"""
