"""The `aurumbotx` command line (typer + rich)."""
