"""``python -m portal``: serve the demo portal until interrupted; type a or b + Enter to switch state."""

from __future__ import annotations

import argparse
import contextlib
import sys

from portal import PortalServer, demo_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--state", choices=("a", "b"), default="a", help="content state to start in")
    parser.add_argument("--print-config", action="store_true", help="print the demo sources TOML and serve")
    args = parser.parse_args(argv)
    with PortalServer(state=args.state, port=args.port) as portal:
        print(
            f"demo portal at {portal.url} (state {portal.state}); type a or b + Enter to switch", flush=True
        )
        if args.print_config:
            print(demo_config(portal.url), flush=True)
        try:
            for line in sys.stdin:
                choice = line.strip().lower()
                if choice in ("a", "b"):
                    portal.set_state(choice)
                    print(f"state {choice}", flush=True)
        except KeyboardInterrupt:
            pass
        if sys.stdin.isatty() or sys.stdin.closed:
            return 0
        # stdin at EOF (e.g. started by a script): keep serving until interrupted.
        with contextlib.suppress(KeyboardInterrupt):
            portal.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
