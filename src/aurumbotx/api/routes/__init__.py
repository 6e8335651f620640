"""Thin routers, one per resource; each calls one service and shapes its result."""
