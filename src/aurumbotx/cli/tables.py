"""Listings that stay readable in an 80-column terminal and never cut an id."""

from __future__ import annotations

from collections.abc import Collection

from rich import box
from rich.table import Table


def list_table(*headers: str, ids: Collection[str] = ()) -> Table:
    """A table with light borders; `ids` columns never wrap or shrink, the others fold.

    A cut id ('2025010…') cannot be copied into the next command, and heavy borders cost three
    characters a column, which is what pushed the wide listings past 80 columns.
    """
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))
    for header in headers:
        if header in ids:
            table.add_column(header, no_wrap=True)
        else:
            table.add_column(header, overflow="fold")
    return table
