"""``descend tour``: measure the claims of the gradient-descent texts and write one
self-contained HTML page (figures embedded), printing one line per claim with its verdict."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from descend._files import written_whole
from descend.cli._common import command_parser, need_matplotlib, out_option, output_path

#: The page is HTML: an --out of another suffix (x.png) would hold HTML under a false name.
HTML_SUFFIXES = (".html", ".htm")


def run(args: argparse.Namespace) -> int:
    output_path("--out", args.out, HTML_SUFFIXES)  # before minutes of measuring, not after
    need_matplotlib()

    from descend.insight.tour import build_tour, render_html

    start = time.perf_counter()
    claims = build_tour(quick=args.quick)
    page = render_html(claims)
    with written_whole(args.out) as partial:  # a run killed while writing leaves no half page
        partial.write_text(page, encoding="utf-8")
    for c in claims:
        print(f"{c.number:2d}. {c.title}: {c.verdict}")
    print(f"wrote {args.out} ({len(claims)} claims, {time.perf_counter() - start:.0f} s)")
    return 0


def add_parser(sub: Any) -> None:
    p = command_parser(
        sub,
        "tour",
        run,
        help="measure the claims about gradient descent and write an HTML tour",
        doc=__doc__,
        examples=["descend tour", "descend tour --out report/tour.html --quick"],
    )
    out_option(
        p,
        "the HTML file to write (default: tour/index.html)",
        default=os.path.join("tour", "index.html"),
        ending="ending in .html",
    )
    p.add_argument("--quick", action="store_true", help="smaller runs (for tests)")
