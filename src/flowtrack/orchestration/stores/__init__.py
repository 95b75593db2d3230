"""Orchestration stores: ``sql`` (embedded and inside the server) and ``rest`` (a client of the server)."""
