"""Artifact repositories: where run files live, behind one interface over fsspec."""
