"""Reusable test kit: service fixtures, data makers and (later) the exchange emulator."""
