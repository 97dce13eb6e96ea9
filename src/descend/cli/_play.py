"""``descend play``: serve the browser playground (a FastAPI app, run with uvicorn) and print
its URL; ``--open`` opens it in a browser. Needs ``pip install 'descend[web]'``."""

from __future__ import annotations

import argparse
import errno
import socket
import webbrowser
from typing import Any

from descend.cli._common import UsageError, command_parser, integer

PROG = "descend play"


def _need_web() -> None:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise UsageError(
            "the playground needs FastAPI and uvicorn: pip install 'descend[web]'", prog=PROG
        ) from None


def check_address(host: str, port: int) -> None:
    """Bind ``host:port`` once to find a bad host or a port in use before serving; a
    :class:`UsageError` (one line, exit 2) naming the problem."""
    if not 1 <= port <= 65535:
        raise UsageError(f"--port must be an integer in [1, 65535]; got {port}", prog=PROG)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise UsageError(
            f"--host {host!r} is not an address of this machine: {err}", PROG
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise UsageError(f"--port {port} is in use on {host}; pick another", PROG) from None
            raise UsageError(f"cannot serve on {host}:{port}: {err.strerror}", PROG) from None


def url_of(host: str, port: int) -> str:
    """The URL to print (an IPv6 address in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def run(args: argparse.Namespace) -> int:
    _need_web()
    check_address(args.host, args.port)
    import uvicorn

    from descend.web import create_app

    url = url_of(args.host, args.port)
    print(f"descend play: serving on {url}", flush=True)
    if args.open:
        webbrowser.open(url)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")
    return 0


def add_parser(sub: Any) -> None:
    p = command_parser(
        sub,
        "play",
        run,
        help="serve the browser playground (pip install 'descend[web]')",
        doc=__doc__,
        examples=["descend play", "descend play --port 9000 --open"],
    )
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default: 127.0.0.1)")
    p.add_argument(
        "--port", type=integer(1, 65535), default=8765, help="port to serve on (default: 8765)"
    )
    p.add_argument("--open", action="store_true", help="open the page in a web browser")
