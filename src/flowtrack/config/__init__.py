"""Typed settings from FLOWTRACK_* environment variables and the profile file."""
