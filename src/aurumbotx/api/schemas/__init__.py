"""Request and response bodies, one family per entity (`XCreate`, `XPublic`), from service types."""
