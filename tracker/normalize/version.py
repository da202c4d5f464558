"""Which normaliser produced a snapshot: stored with every version, compared on every recrawl.

Its own module so that a process that only compares raw bodies (an unchanged recrawl) can tell
whether a stored version is current without importing the normaliser (ftfy alone is ~0.25 s).
"""

from __future__ import annotations

# Bumped whenever the output for some input changes. 1.4, 1.5: a UTF-16 letter followed by a
# corrupt run is kept.
NORMALIZER_VERSION = "1.5"
