"""Repositories: the only code that writes SQL for a table's rows."""
