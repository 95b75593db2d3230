"""Shared fixtures live in tests/fixtures/ and are loaded here as plugins."""

pytest_plugins = [
    "tests.fixtures.home",
    "tests.fixtures.databases",
    "tests.fixtures.s3",
    "tests.fixtures.server",
    "tests.fixtures.mlflow",
]
