"""Run the server: uvicorn with :class:`NoDelayHttpProtocol`, one process or a supervisor and N workers.

The app is passed to uvicorn as a factory (``functools.partial(create_app, config)``) rather than as an import
string, so each worker process receives the configuration as an argument (pickled by uvicorn's spawn) instead
of through environment variables or module globals.
"""

from __future__ import annotations

import functools

import uvicorn
from uvicorn.supervisors import Multiprocess

from flowtrack.server.app import create_app
from flowtrack.server.config import ServerConfig
from flowtrack.server.protocol import NoDelayHttpProtocol

KEEP_ALIVE_S = 30  # the mlflow client keeps sessions open between calls; don't drop them every 5 s


def uvicorn_config(
    config: ServerConfig, *, log_level: str = "info", access_log: bool = False
) -> uvicorn.Config:
    return uvicorn.Config(
        functools.partial(create_app, config),
        factory=True,
        host=config.host,
        port=config.port,
        workers=config.workers,
        http=NoDelayHttpProtocol,
        lifespan="on",
        log_level=log_level,
        access_log=access_log,
        timeout_keep_alive=KEEP_ALIVE_S,
        server_header=False,
    )


def prepare(config: ServerConfig) -> None:
    """Open the store once (creating or migrating the schema) and close it again, before workers start."""
    from flowtrack.tracking.stores.registry import clear_cache, get_tracking_store

    get_tracking_store(config.backend_store_uri, config.store_artifact_root)
    clear_cache()


def serve(config: ServerConfig, *, log_level: str = "info", access_log: bool = False) -> bool:
    """Serve until interrupted; False when the server could not start (the reason is logged)."""
    settings = uvicorn_config(config, log_level=log_level, access_log=access_log)
    server = uvicorn.Server(settings)
    if config.workers > 1:
        sock = settings.bind_socket()
        Multiprocess(settings, sockets=[sock]).run()
        return True
    server.run()
    return server.started
