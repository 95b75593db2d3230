"""Services: the rules between the HTTP routers and the stores (validation, parsing, lookups)."""
