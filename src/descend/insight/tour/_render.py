"""The tour as one self-contained HTML page: figures as base64 PNG data URIs, no links to
anything outside the file."""

from __future__ import annotations

import html
from collections.abc import Sequence

from descend.insight.plots._common import figure_uri
from descend.insight.tour._core import Claim

COLOURS = {"holds": "#1a7f37", "does not hold": "#cf222e", "depends": "#9a6700"}
STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.45}"
    "section{border-top:1px solid #ccc;padding:1em 0}table{border-collapse:collapse}"
    "td,th{border:1px solid #ddd;padding:2px 8px;text-align:left}"
    ".verdict{font-weight:bold}img{max-width:100%}"
)


def _section(c: Claim) -> str:
    e = html.escape
    colour = COLOURS.get(c.verdict, "#57606a")
    rows = "".join(
        f'<tr data-key="{e(k)}"><td>{e(c.label(k))}</td><td>{v:.6g}</td></tr>'
        for k, v in c.measurements.items()
    )
    table = f"<table><tr><th>measurement</th><th>value</th></tr>{rows}</table>" if rows else ""
    img = (
        f'<img alt="figure for claim {c.number}" src="{figure_uri(c.figure)}">'
        if c.figure is not None
        else ""
    )
    return (
        f'<section id="claim-{c.number}"><h2>{c.number}. {e(c.title)}</h2>'
        f"<blockquote>{e(c.claim)}</blockquote>"
        f'<p class="verdict" style="color:{colour}">Verdict: {e(c.verdict)}</p>'
        f"<p>{e(c.explanation)}</p>{table}{img}</section>"
    )


def render_html(claims: Sequence[Claim]) -> str:
    """The whole page: a summary table, then one section per claim."""
    e = html.escape
    summary = "".join(
        f'<tr><td><a href="#claim-{c.number}">{c.number}</a></td><td>{e(c.title)}</td>'
        f'<td style="color:{COLOURS.get(c.verdict, "#57606a")}">{e(c.verdict)}</td></tr>'
        for c in claims
    )
    body = "".join(_section(c) for c in claims)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>descend tour: gradient descent, claim by claim</title><style>{STYLE}</style>"
        "</head><body><h1>A tour of gradient descent, measured</h1>"
        "<p>Each claim of the texts is measured with descend's own runs; the verdict is "
        "computed from the numbers shown by a rule stated under each claim.</p>"
        f"<table><tr><th>#</th><th>claim</th><th>verdict</th></tr>{summary}</table>"
        f"{body}</body></html>"
    )
