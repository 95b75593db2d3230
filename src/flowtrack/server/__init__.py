"""The flowtrack tracking server: an MLflow-compatible REST API over the same stores the client uses.

Layout: ``api/`` holds thin routers (parse, call a service, serialize), ``services/`` the rules between the
wire and the stores, ``errors.py`` the one place where flowtrack errors become HTTP statuses and MLflow
``error_code`` strings. ``app.create_app`` builds the ASGI app from a ``config.ServerConfig``.
"""
