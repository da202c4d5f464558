"""Generated portals: seeded, realistic multi-site portals with states and gold change events.

Pure generation (``generate``, ``portal.generator.build``; markup in ``render`` and ``dialects``)
is separate from serving (``GeneratedPortal``, ``portal.generator.server``)::

    with GeneratedPortal(seed=3) as p:
        urls = p.home_urls()          # one 127.0.0.1 port per site
        ...                           # crawl state 0
        p.set_state(1)
        ...                           # crawl again; p.portal.transitions[0] is the gold of 0 -> 1

``python -m portal.generator --seed N [--state K]`` serves one from the command line.
The small demo portal (``portal.PortalServer``) is separate and unchanged.
"""

from portal.generator.build import DEFAULT_DOCS_PER_SITE, DEFAULT_SITES, DEFAULT_STATES, generate
from portal.generator.model import GoldEvent, Portal, Transition
from portal.generator.server import GeneratedPortal, route_key

__all__ = [
    "DEFAULT_DOCS_PER_SITE",
    "DEFAULT_SITES",
    "DEFAULT_STATES",
    "GeneratedPortal",
    "GoldEvent",
    "Portal",
    "Transition",
    "generate",
    "route_key",
]
