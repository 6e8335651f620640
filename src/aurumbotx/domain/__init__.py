"""Domain core: value types, enums, errors. Imports nothing else from AurumBotX."""
