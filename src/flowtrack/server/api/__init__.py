"""HTTP routers: each parses a request, calls one service method and serializes the result."""
