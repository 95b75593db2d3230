"""The orchestration store on SQLite, PostgreSQL and MySQL/MariaDB (SQLAlchemy Core)."""
