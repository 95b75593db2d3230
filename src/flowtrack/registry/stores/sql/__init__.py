"""The registry store on SQL databases: the same database, engine and migrations as tracking."""
