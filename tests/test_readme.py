"""The README runs: every code block in it is executed here, or marked as an illustration.

- ``python`` blocks run in order in one namespace, as a reader pastes them into one session.
- Each ``descend ...`` line of a ``bash`` block runs through the command line in a temporary
  folder and must exit with 0 (the one substitution: the full tour, which takes minutes, runs
  with ``--quick``, in ``tests/cli/test_cli_plot.py``, which checks the page it writes).
- A block without a language right after a ``bash`` block is that block's last command's
  output: the command runs again and its table must agree (stop rules exactly, step counts
  within 2%, losses within a factor of two, other numbers within 1%; times are not compared).
- The figure on the first screen is drawn by the command the README names for it.
- A ``toml`` block is a study spec: it must parse and validate as one (``ds.Study.from_toml``).
- A block preceded by ``<!-- illustration: why -->`` is not run (the set-up commands, which
  the suite itself is part of, and the re-recording of references, which needs PyTorch).
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)\s*$")
ILLUSTRATION = re.compile(r"<!--\s*illustration:\s*\S.*-->")
SLOW = {("tour",): ["--quick"]}  # the one substitution, stated in the module docstring
#: README commands that another test already runs in the same form (its file must say so)
ELSEWHERE = {("tour",): ("tests/cli/test_cli_plot.py", '"tour", "--quick"')}


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    illustration: bool


def blocks(text: str | None = None) -> list[Block]:
    """The fenced blocks of the README, with their language and illustration mark."""
    lines = (README.read_text() if text is None else text).splitlines()
    found, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, start = len(m["indent"]), i
        body = []
        i += 1
        while not re.match(rf"^ {{{indent}}}```\s*$", lines[i]):
            body.append(lines[i][indent:])
            i += 1
        marked = bool(start) and bool(ILLUSTRATION.search(lines[start - 1]))
        found.append(Block(start + 1, m["lang"], "\n".join(body), marked))
        i += 1
    return found


def commands(block: Block) -> list[list[str]]:
    """The ``descend`` command lines of a bash block, as argument lists (comments dropped)."""
    out = []
    for raw in block.text.splitlines():
        argv = shlex.split(raw, comments=True)
        if argv:
            assert argv[0] == "descend", f"README line {block.line}: not a descend command: {raw!r}"
            out.append(argv[1:] + SLOW.get(tuple(argv[1:]), []))
    return out


def test_blocks_are_recognised():
    """Every block is python, bash, an output table or a marked illustration; the parser is
    checked on a small text whose answer is known."""
    sample = "a\n```bash\ndescend race\n```\n<!-- illustration: x -->\n  ```python\n  1/0\n  ```\n"
    got = blocks(sample)
    assert [(b.line, b.lang, b.text, b.illustration) for b in got] == [
        (2, "bash", "descend race", False),
        (6, "python", "1/0", True),
    ]
    for block in blocks():
        assert block.illustration or block.lang in {"python", "bash", "toml", ""}, block


def test_toml_blocks_are_valid_study_specs():
    import descend as ds

    specs = [b for b in blocks() if b.lang == "toml" and not b.illustration]
    assert specs, "the README shows a study spec"
    for block in specs:
        study = ds.Study.from_toml(block.text)  # raises, naming the field, if it is not valid
        assert study.configurations(), f"README line {block.line}: a spec with no runs"


def test_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme"}
    for block in blocks():
        if block.lang == "python" and not block.illustration:
            code = compile(block.text, f"README.md:{block.line}", "exec")
            exec(code, namespace)  # the README's own text, not user input


def _bash_commands() -> list[tuple[int, list[str]]]:
    return [
        (b.line, argv)
        for b in blocks()
        if b.lang == "bash" and not b.illustration
        for argv in commands(b)
    ]


@pytest.mark.parametrize(("line", "argv"), _bash_commands(), ids=lambda v: str(v))
def test_bash_commands_run(line, argv, cli, tmp_path, monkeypatch):
    given = tuple(a for a in argv if a not in SLOW.get(tuple(argv[:1]), []))
    if given in ELSEWHERE:  # run by another test already: check that it still is
        path, call = ELSEWHERE[given]
        assert call in (README.parent / path).read_text(), f"{path} no longer runs {call}"
        return
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(*argv)
    assert code == 0, f"README line {line}: descend {' '.join(argv)} exited {code}: {err}"


TIME = re.compile(r"\d+(?:\.\d+)?\s*(?:ms|s)\b")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _close(shown: str, got: str) -> bool:
    a, b = float(shown), float(got)
    if re.fullmatch(r"-?\d+", shown):  # a count of steps or samples
        return abs(a - b) <= max(1, 0.02 * abs(a))
    if abs(a) < 1e-3 or abs(b) < 1e-3:  # a loss near zero: within a factor of two
        return a * b > 0 and abs(math.log10(a / b)) < math.log10(2)
    return math.isclose(a, b, rel_tol=1e-2)


def agree(shown: str, got: str) -> list[str]:
    """The differences between a table the README shows and one a command printed."""
    problems = []
    shown_lines = [TIME.sub("<t>", s).split() for s in shown.strip().splitlines()]
    got_lines = [TIME.sub("<t>", s).split() for s in got.strip().splitlines()]
    if len(shown_lines) != len(got_lines):
        return [f"{len(shown_lines)} lines shown, {len(got_lines)} printed"]
    for s_words, g_words in zip(shown_lines, got_lines, strict=True):
        if len(s_words) != len(g_words):
            problems.append(f"{' '.join(s_words)!r} != {' '.join(g_words)!r}")
            continue
        for s, g in zip(s_words, g_words, strict=True):
            s_num, g_num = NUMBER.fullmatch(s.strip(",()")), NUMBER.fullmatch(g.strip(",()"))
            if s_num and g_num:
                ok = _close(s_num.group(), g_num.group())
            else:
                ok = NUMBER.sub("#", s) == NUMBER.sub("#", g)
            if not ok:
                problems.append(f"shown {s!r}, printed {g!r} in {' '.join(g_words)!r}")
    return problems


def test_agree_catches_a_wrong_table():
    table = "adam  converged  3881  2.988e-12  0.6 ms\ngd  max_steps  10000  1.044e-06  9 ms"
    assert agree(table, table.replace("0.6 ms", "12.0 ms")) == []
    assert agree(table, table.replace("3881", "3890")) == []
    assert agree(table, table.replace("3881", "4100"))
    assert agree(table, table.replace("converged", "diverged"))
    assert agree(table, table.replace("2.988e-12", "9.1e-12"))
    assert agree(table, table + "\nextra line")


def _outputs() -> list[tuple[int, list[str], str]]:
    found, previous = [], None
    for block in blocks():
        if block.lang == "" and not block.illustration and previous is not None:
            found.append((block.line, commands(previous)[-1], block.text))
        previous = block if block.lang == "bash" and not block.illustration else None
    return found


def test_outputs_are_listed():
    """The tables of the race, the fit and the fair race are among the checked outputs."""
    assert [argv[:2] for _, argv, _ in _outputs()] == [
        ["race"],
        ["fit", "--data"],
        ["race", "--fair"],
    ]


@pytest.mark.parametrize(("line", "argv", "shown"), _outputs(), ids=lambda v: str(v)[:20])
def test_outputs_match_their_commands(line, argv, shown, cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(*argv)
    assert code == 0
    problems = agree(shown, out)
    assert not problems, f"README line {line} (descend {' '.join(argv)}):\n" + "\n".join(problems)


def test_first_figure_comes_from_its_command(cli, tmp_path):
    """The README's figure is what the command it names draws, pixel for pixel up to
    anti-aliasing."""
    matplotlib_image = pytest.importorskip("matplotlib.image")
    text = README.read_text()
    image = re.search(r"!\[[^\]]*\]\((?P<path>[^)]+)\)", text)["path"]
    named = re.search(rf"`descend (?P<args>[^`]*{re.escape(image)})`", text)
    assert named, f"the README does not name the command that draws {image}"
    argv = shlex.split(named["args"].replace(image, str(tmp_path / "figure.png")))
    code, _, err = cli(*argv)
    assert code == 0, err
    want = matplotlib_image.imread(README.parent / image)
    got = matplotlib_image.imread(tmp_path / "figure.png")
    assert want.shape == got.shape
    assert np.mean(np.abs(want - got)) < 0.01
