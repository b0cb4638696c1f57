"""Reads behind the casework pages, always scoped to a viewer's access decisions."""
