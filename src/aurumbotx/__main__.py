"""`python -m aurumbotx` runs the command line."""

from aurumbotx.cli.app import main

if __name__ == "__main__":
    main()
