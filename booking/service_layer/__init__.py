"""Use cases and the ports they need; no framework or driver imports."""
