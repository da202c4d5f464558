"""Tests of the page normaliser."""
