"""Models on disk: the MLmodel metadata, signatures, flavors, model URIs and the scoring server."""
