"""RiskManager: pre-trade checks, position sizing, halts and the kill switch."""
