"""The REST tracking store: a client of a tracking server (flowtrack's or MLflow's) over MLflow's REST API.

``store`` holds the store, ``wire`` the JSON mapping, ``errors`` the error mapping; the HTTP session with
credentials and retries is :mod:`flowtrack._internal.http`, shared with the artifact proxy client.
"""
