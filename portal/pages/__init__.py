"""Seed-based HTML pages served by the demo portal (package data)."""
