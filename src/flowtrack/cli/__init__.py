"""The ``flowtrack`` command line: one module per command group, thin over the clients (see ``main.py``)."""
