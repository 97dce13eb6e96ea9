"""The study spec: the issue's TOML shape parses, Python builds the same spec, the canonical
form is stable, and every bad field is refused before anything runs, naming the field (a
ValueError/TypeError in Python; exit 2 and one line on the command line)."""

import json
import os

import pytest
from _study_helpers import BOOTH_TOML as BASE

import descend as ds
from descend.optim import registry
from descend.study import _spec

ISSUE_SPEC = """
name = "adam-vs-momentum"
steps = 2000          # budget per run
seeds = 8             # random starts (surfaces) or initialisations/shuffles (data)
[problem]
surface = "rosenbrock"
[[optimizers]]
rule = "adam"
[optimizers.grid]
lr = { log = [1e-4, 1e-1], num = 64 }
b1 = [0.8, 0.9, 0.95, 0.99]
[[optimizers]]
rule = "momentum"
[optimizers.grid]
lr = { log = [1e-5, 1e-2], num = 64 }
beta = [0.5, 0.9, 0.99]
[search]
kind = "grid"
"""


def test_the_issue_spec_parses_to_its_grid():
    study = ds.Study.from_toml(ISSUE_SPEC)
    spec = study.spec
    assert (spec.name, spec.steps, spec.seeds) == ("adam-vs-momentum", 2000, tuple(range(8)))
    assert [o.rule for o in spec.optimizers] == ["adam", "momentum"]
    assert len(study.configurations()) == 64 * 4 + 64 * 3
    assert spec.problem["domain"] == [list(p) for p in ds.surfaces.get("rosenbrock").domain]
    assert spec.hyperparameter_names() == ["lr", "b1", "beta"]


def test_python_builds_the_same_spec_and_the_canonical_form_round_trips():
    from_toml = ds.Study.from_toml(ISSUE_SPEC)
    built = ds.Study(
        name="adam-vs-momentum",
        steps=2000,
        seeds=8,
        problem={"surface": "Rosenbrock"},
        optimizers=[
            {"rule": "adam", "grid": {"lr": {"log": [1e-4, 1e-1], "num": 64},
                                      "b1": [0.8, 0.9, 0.95, 0.99]}},
            {"rule": "momentum", "grid": {"lr": {"log": [1e-5, 1e-2], "num": 64},
                                          "beta": [0.5, 0.9, 0.99]}},
        ],
    )  # fmt: skip
    assert built.hash == from_toml.hash
    assert built.canonical_json() == from_toml.canonical_json()
    assert _spec.from_canonical(built.canonical_json()) == built.spec
    import hashlib

    assert built.hash == hashlib.sha256(built.canonical_json().encode()).hexdigest()
    canonical = json.loads(built.canonical_json())
    assert canonical["search"]["kind"] == "grid" and canonical["chunk_size"] == 4096


def test_a_different_value_gives_a_different_hash():
    a = ds.Study.from_toml(BASE)
    b = ds.Study.from_toml(BASE.replace("lr = [0.01]", "lr = [0.02]"))
    assert a.hash != b.hash


def test_from_toml_reads_a_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(BASE)
    assert ds.Study.from_toml(path).hash == ds.Study.from_toml(str(path)).hash


def test_data_problem_fills_its_defaults():
    spec = ds.Study.from_toml(
        BASE.replace('surface = "booth"', 'data = "moons"\nmodel = "mlp"\nhidden = [8]')
    ).spec
    p = spec.problem
    assert (p["data"], p["model"], p["hidden"], p["activation"]) == ("moons", "mlp", [8], "relu")
    assert p["loss"] == "binary_cross_entropy" and p["batch_size"] == 32
    assert p["epochs"] == 2  # ceil(10 steps / ceil(200 / 32) = 7 steps per epoch)


R = registry.get("momentum")
# the bad specs: (the text, the field the message names, the exception type where it is not
# ValueError); in REPLACED the text is BASE with one line replaced (by that line: what replaces
# it), in OTHER it is written out
REPLACED = {
    'name = "s"': [
        ("", "name: missing"),
        ("name = 3", "name: expected a non-empty string", TypeError),
    ],
    "steps = 10": [
        ("steps = 0", "steps: must be an integer in [1,"),
        ("steps = 1.5", "steps: must be an integer", TypeError),
        ("", "steps: missing"),
    ],
    "seeds = 2": [
        ("seeds = -1", "seeds: must be an integer"),
        ("seeds = []", "seeds: an empty list"),
        ("seeds = [1, 1]", "seeds: each seed once"),
        ("seeds = 2\nchunk_size = 0", "chunk_size: must be"),
    ],
    'surface = "booth"': [
        ('surface = "nope"', "problem.surface: unknown surface"),
        ('surface = "booth"\nexpression = "x^2"', "problem: give exactly one of"),
        ('surface = "booth"\ncolour = 1', "problem.colour: unknown key"),
        ('surface = "rastrigin"\nparams = { dim = 0 }', "problem.params: "),
        ('surface = "booth"\ndomain = [[1, 0], [0, 1]]',
         "problem.domain[0]: low must be below high"),
        ('expression = "x^^2"', "problem.expression: "),
        ("expression = \"__import__('os')\"", "problem.expression: "),
        ('data = "nope"', "problem.data: unknown data set"),
        # a misspelt name gets the closest valid one
        ('surface = "rosenbrok"', "problem.surface: unknown surface 'rosenbrok' (did you mean "
                                  "rosenbrock?)"),
        ('data = "iriss"', "problem.data: unknown data set 'iriss' (did you mean iris?)"),
        ('data = "moons"\nmodel = "linear"', "problem.model: linear is for regression"),
        ('data = "moons"\nloss = "mse"', "problem.loss: mse is a"),
        ('data = "moons"\nhidden = [4]', "problem.hidden: only an mlp"),
        ('data = "moons"\nbatch_size = 0', "problem.batch_size: "),
    ],
    'rule = "momentum"': [
        ('rule = "adamax"', "optimizers[0].rule: unknown optimizer"),
        ('rule = "adamm"', "unknown optimizer 'adamm' (did you mean adam?)"),
        ('rule = "momentum"\ncolour = 1', "optimizers[0].colour: unknown key"),
    ],
    "lr = [0.01]": [
        ("lr = [0.01]\nb1 = [0.9]", "optimizers[0].grid.b1: momentum has no hyperparameter 'b1'"),
        ("lr = [0.01]\nbeta = [0.5, 1.2]",
         f"optimizers[0].grid.beta: 1.2 is outside {R.hyperparameter('beta').interval}"),
        ("lr = [-0.01]", "optimizers[0].grid.lr: -0.01 is outside [0, inf)"),
        ('lr = "big"', "optimizers[0].grid.lr: expected a number", TypeError),
        ("lr = [true]", "optimizers[0].grid.lr[0]: expected a number", TypeError),
        ("lr = { log = [0, 1], num = 3 }",
         "optimizers[0].grid.lr.log: a log range needs 0 < low < high"),
        ("lr = { log = [1e-3, 1e-1] }", "optimizers[0].grid.lr.num: "),
        ("lr = { linear = [0.1, 0.01], num = 3 }",
         "optimizers[0].grid.lr.linear: low must be below high"),
        ("lr = { linear = [0.01, 0.1], num = 3, step = 2 }",
         "optimizers[0].grid.lr.step: unknown key"),
        ("beta = { linear = [0.5, 1.0], num = 3 }",
         "optimizers[0].grid.beta.linear[1]: 1.0 is outside [0, 1)"),
        ('lr = [0.01]\n[optimizers.options]\nform = "fast"',
         "optimizers[0].options.form: 'fast' is not allowed"),
        ('lr = [0.01]\n[optimizers.options]\namsgrad = "raw"',
         "optimizers[0].options.amsgrad: unknown key"),
    ],
}  # fmt: skip
OTHER = [
    ("foo = 1\n" + BASE, "foo: unknown key"),
    (BASE + '[[optimizers]]\nrule = "momentum"\n', "optimizers[1].name: 'momentum' is taken"),
    (BASE + '[search]\nkind = "bayes"', "search.kind: unknown kind 'bayes'"),
    (BASE + '[search]\nkind = "grd"', "search.kind: unknown kind 'grd' (did you mean grid?)"),
    ("stepz = 3\n" + BASE, "stepz: unknown key (did you mean steps?)"),
    (BASE + '[search]\nkind = "random"', "search.n: kind = 'random' needs n"),
    (BASE + '[search]\nkind = "grid"\nn = 4', "search.n: not used by kind = 'grid'"),
    (BASE + '[search]\nkind = "sobol"\nn = 0', "search.n: must be"),
    (BASE + '[search]\nkind = "optuna"\nsampler = "anneal"\ntrials = 8',
     "search.sampler: 'anneal' is not a sampler"),
    (BASE + '[search]\nkind = "optuna"\nsampler = "tpe"', "search.trials: kind = 'optuna' needs"),
    (BASE.replace("[optimizers.grid]\nlr = [0.01]\n", "")
     + '[search]\nkind = "optuna"\nsampler = "cmaes"\ntrials = 64',
     "optimizers[0].grid: the optuna search needs at least one hyperparameter"),
    ("name = [", "the spec is not valid TOML"),
]  # fmt: skip


def _bad(text, message, kind=ValueError):
    return text, message, kind


for line in REPLACED:
    assert line in BASE
BAD = [
    _bad(BASE.replace(line, new), *case) for line, cases in REPLACED.items() for new, *case in cases
] + [_bad(*case) for case in OTHER]


@pytest.mark.parametrize(("text", "message", "kind"), BAD, ids=[b[1][:40] for b in BAD])
def test_a_bad_spec_names_its_field(text, message, kind):
    with pytest.raises(kind) as err:
        ds.Study.from_toml(text)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("text", "message", "kind"), BAD, ids=[b[1][:40] for b in BAD])
def test_the_command_line_refuses_a_bad_spec_in_one_line(cli, tmp_path, text, message, kind):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code, out, err = cli("study", "run", str(path), "--dir", str(tmp_path / "study"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("descend study run: error: ")
    assert message in err
    assert not (tmp_path / "study").exists()  # refused before anything was written


def test_python_arguments_of_the_wrong_type_are_refused():
    with pytest.raises(TypeError, match="optimizers: expected a non-empty list"):
        ds.Study(name="s", steps=5, seeds=1, problem={"surface": "booth"}, optimizers={})
    with pytest.raises(TypeError, match="problem: expected a table"):
        ds.Study(name="s", steps=5, seeds=1, problem="booth", optimizers=[{"rule": "gd"}])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(bytes(range(128, 256)) * 3), "it is not UTF-8 text"),
        (lambda p: p.mkdir(), "Is a directory"),
        (lambda p: None, "No such file or directory"),
        (lambda p: p.symlink_to("/dev/zero"), "is a device, not a file"),
    ],
    ids=["binary", "folder", "missing", "device"],
)
def test_the_command_line_names_a_spec_file_it_cannot_read(cli, tmp_path, make, message):
    path = tmp_path / "spec"  # no .toml suffix: the argument is a path all the same
    make(path)
    code, out, err = cli("study", "run", str(path), "--dir", str(tmp_path / "study"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("descend study run: error: cannot read ")
    assert message in err
    assert not (tmp_path / "study").exists()


def test_the_command_line_refuses_a_dir_that_is_a_file(cli, tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'name = "t"\nsteps = 5\nseeds = 1\n[problem]\nsurface = "booth"\n'
        '[[optimizers]]\nrule = "gd"\n'
    )
    code, out, err = cli("study", "run", str(spec), "--dir", str(spec))
    assert code == 2 and out == ""
    assert err == f"descend study run: error: --dir: {str(spec)!r} is a file, not a folder\n"


@pytest.mark.parametrize("folder", ["/dev", "/dev/descend-study", "/sys/x", "/proc/x"])
def test_the_command_line_refuses_a_system_folder_and_writes_nothing(cli, tmp_path, folder):
    """As root, --dir /dev would write the store into the device folder."""
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'name = "t"\nsteps = 5\nseeds = 1\n[problem]\nsurface = "booth"\n'
        '[[optimizers]]\nrule = "gd"\n'
    )
    before = set(os.listdir("/dev"))
    code, out, err = cli("study", "run", str(spec), "--dir", folder)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "a system folder; give a folder of your own" in err or "cannot create" in err
    assert set(os.listdir("/dev")) == before
