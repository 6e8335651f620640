"""Passwords, accounts, encryption of exchange keys, rate limits."""
