"""Tests of the crawler, the demo portal, the sources file and crawl runs."""
