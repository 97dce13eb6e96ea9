"""Helpers of the study tests: a spec (the keywords of ``ds.Study``) written as the TOML file
that ``descend study run`` reads, a small study on Booth for what needs only its plan (as
Python and as the TOML text that tests edit line by line), and the columns of
``Study.results()`` for a study of lr alone."""

import json

import descend as ds

#: A small valid spec as text: 2 seeds of 10 steps of momentum at one lr on Booth. The tests of
#: the spec's text replace one of its lines (each stands once).
BOOTH_TOML = """
name = "s"
steps = 10
seeds = 2
[problem]
surface = "booth"
[[optimizers]]
rule = "momentum"
[optimizers.grid]
lr = [0.01]
"""


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return repr(value)  # an int or a finite float: Python's form is TOML's


def _pairs(table, leave_out=()):
    return [
        f"{key} = {_toml_value(value)}"
        for key, value in table.items()
        if key not in leave_out and value is not None
    ]


def toml_spec(spec):
    """The TOML text of ``spec``: its top-level values, then ``[problem]``, one
    ``[[optimizers]]`` each (with its ``[optimizers.grid]`` and ``[optimizers.options]``) and
    ``[search]``; a ``None`` is left out (the default)."""
    lines = _pairs(spec, leave_out=("problem", "optimizers", "search"))
    lines += ["[problem]", *_pairs(spec["problem"])]
    for optimizer in spec["optimizers"]:
        lines += ["[[optimizers]]", *_pairs(optimizer, leave_out=("grid", "options"))]
        for part in ("grid", "options"):
            if part in optimizer:
                lines += [f"[optimizers.{part}]", *_pairs(optimizer[part])]
    if spec.get("search") is not None:
        lines += ["[search]", *_pairs(spec["search"])]
    return "\n".join(lines) + "\n"


def write_spec(path, spec):
    """Write ``spec`` to ``path`` as TOML; returns ``path``."""
    path.write_text(toml_spec(spec))
    return path


def booth_study(*optimizers, seeds=1, **options):
    """A 5-step study on Booth of ``optimizers`` (their tables), for a test of its plan: its
    configurations, chunks or run counts."""
    return ds.Study(
        name="booth",
        steps=5,
        seeds=seeds,
        problem={"surface": "booth"},
        optimizers=list(optimizers),
        **options,
    )


#: the columns of ``Study.results()`` of a study whose one hyperparameter is lr, all but the
#: last: the problem's metric (the gap on a surface, the accuracy on classification data)
LR_RESULT_COLUMNS = [
    "config_id",
    "optimizer",
    "lr",
    "seed",
    "final_loss",
    "best_loss",
    "steps",
    "stop_reason",
]
