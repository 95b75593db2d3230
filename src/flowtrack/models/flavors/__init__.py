"""One module per model flavor; each imports its ML library only when used."""
