"""Registry stores: the contract (``base``), the URI → store map (``registry``), ``sql`` and ``rest``."""
