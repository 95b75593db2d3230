"""The SQL tracking store (SQLite, PostgreSQL, MySQL/MariaDB) on SQLAlchemy Core.

Import :class:`SqlTrackingStore` from :mod:`.store`; this ``__init__`` imports nothing, so that
``flowtrack.tracking.stores.registry`` can load the store lazily.
"""
