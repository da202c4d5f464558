"""``python -m portal.generator --seed N [--state K]``: serve a generated portal until interrupted.

Type a state number + Enter to switch; ``--gold FILE`` writes the gold events as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from portal.generator import DEFAULT_DOCS_PER_SITE, DEFAULT_SITES, DEFAULT_STATES, GeneratedPortal, dialects


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.generator", description=__doc__)
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--state", type=int, default=0, help="state to start in (default 0)")
    parser.add_argument("--sites", type=int, default=DEFAULT_SITES)
    parser.add_argument("--docs-per-site", type=int, default=DEFAULT_DOCS_PER_SITE)
    parser.add_argument("--states", type=int, default=DEFAULT_STATES)
    parser.add_argument(
        "--gold", type=Path, help="write the gold (documents, events, noise) to this JSON file"
    )
    args = parser.parse_args(argv)
    try:
        portal = GeneratedPortal(
            seed=args.seed,
            sites=args.sites,
            docs_per_site=args.docs_per_site,
            states=args.states,
            state=args.state,
        )
    except ValueError as exc:
        parser.error(str(exc))
    with portal:
        if args.gold:
            args.gold.write_text(
                json.dumps(portal.portal.gold_json(), ensure_ascii=False, indent=1), encoding="utf-8"
            )
        for server in portal.servers:
            site = server.site
            print(
                f"site {site.index} {site.dialect:10} {site.name}: {server.url}{dialects.home(site)}",
                flush=True,
            )
        print(
            f"state {portal.state} of 0..{portal.portal.states - 1}; type a state number + Enter to switch",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            for line in sys.stdin:
                text = line.strip()
                if text.isdigit() and int(text) < portal.portal.states:
                    portal.set_state(int(text))
                    print(f"state {text}", flush=True)
            if not sys.stdin.isatty():
                portal.servers[0].thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
