"""The run engine: one state machine (``core``) for flows and tasks, driven by a sync or an async shell."""
