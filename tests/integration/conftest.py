"""``tracking_uri``: the same tests run embedded and through a tracking server, on every database.

``embedded-<db>`` is a database of the test's own (as ``db_uri`` gives). ``server-<db>`` is a real
``flowtrack server start`` subprocess on that kind of database, shared by the whole session (starting one
takes over a second) and emptied before each test: every table's rows are deleted except the Default
experiment, which is reset, so each test starts from what a fresh server shows. Ids keep counting up across
tests; run ids are random, so artifacts of different tests never meet in the server's artifact folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.databases import BACKENDS, _database, _Servers
from tests.fixtures.server import RunningServer, start_server

EMBEDDED = "embedded"
SERVER = "server"
DEFAULT_EXPERIMENT_ID = 0


class SharedServer:
    """A server on a database of its own, and the means to empty that database between tests."""

    def __init__(self, db_uri: str, artifacts: Path) -> None:
        from flowtrack.db.engine import get_engine

        self.db_uri = db_uri
        self.server: RunningServer = start_server(db_uri, artifacts)
        self.url = self.server.url
        self._engine: Any = get_engine(db_uri)

    def reset(self) -> None:
        import sqlalchemy as sa

        metadata = sa.MetaData()
        metadata.reflect(self._engine)
        with self._engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                if table.name == "alembic_version":
                    continue
                statement = sa.delete(table)
                if table.name == "experiments":
                    statement = statement.where(table.c.experiment_id != DEFAULT_EXPERIMENT_ID)
                conn.execute(statement)
            experiments = metadata.tables["experiments"]
            conn.execute(
                sa.update(experiments)
                .where(experiments.c.experiment_id == DEFAULT_EXPERIMENT_ID)
                .values(name="Default", lifecycle_stage="active")
            )

    def stop(self) -> None:
        from flowtrack.db.engine import dispose_engine

        self.server.stop()
        dispose_engine(self.db_uri)


class SharedServers:
    """One server per database kind, started on first use."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory, databases: _Servers) -> None:
        self._tmp = tmp_path_factory
        self._databases = databases
        self._servers: dict[str, SharedServer] = {}
        self._database_contexts: list[Iterator[str]] = []

    def url(self, backend: str) -> str:
        """The base URL of the ``backend`` server, emptied for the calling test."""
        server = self._servers.get(backend)
        if server is None:
            folder = self._tmp.mktemp(f"server-{backend}")
            databases = _database(backend, folder, self._databases, empty=False)
            self._database_contexts.append(databases)
            server = self._servers[backend] = SharedServer(next(databases), folder / "artifacts")
        server.reset()
        return server.url

    def close(self) -> None:
        for server in self._servers.values():
            server.stop()
        for databases in self._database_contexts:
            next(databases, None)  # drops the database (or forgets the SQLite file)


@pytest.fixture(scope="session")
def shared_servers(
    tmp_path_factory: pytest.TempPathFactory, database_servers: _Servers
) -> Iterator[SharedServers]:
    servers = SharedServers(tmp_path_factory, database_servers)
    yield servers
    servers.close()


@pytest.fixture(params=[f"{mode}-{backend}" for mode in (EMBEDDED, SERVER) for backend in BACKENDS])
def tracking_uri(
    request: pytest.FixtureRequest, tmp_path: Path, database_servers: _Servers, shared_servers: SharedServers
) -> Iterator[str]:
    """Where a test logs: a database of its own (embedded) or an emptied tracking server on that database."""
    mode, backend = str(request.param).split("-", 1)
    if mode == SERVER:
        yield shared_servers.url(backend)
        return
    yield from _database(backend, tmp_path, database_servers, empty=False)


@pytest.fixture
def proxy_server(shared_servers: SharedServers) -> str:
    """An emptied SQLite tracking server that proxies artifacts (``mlflow-artifacts:`` URIs)."""
    return shared_servers.url("sqlite")


@pytest.fixture
def direct_artifacts_server(s3_root: str, tmp_path: Path) -> Iterator[str]:
    """A server that does not proxy: new experiments' artifacts go to ``s3_root``, written by the client."""
    uri = f"sqlite:///{tmp_path / 'direct-server' / 'flowtrack.db'}"
    options = ["--no-serve-artifacts", "--default-artifact-root", s3_root]
    server = start_server(uri, tmp_path / "unused-artifacts", options)
    yield server.url
    server.stop()
