"""Workflow orchestration: ``@flow`` and ``@task``, states, futures, task runners, caching and their store."""
