"""Every command's bad input: one line on standard error naming the problem and what is
allowed, exit status 2, nothing on standard output or on disk and never a traceback; checked
before any work starts (an unwritable output fails at once, not after the run)."""

import pytest

#: argv, and a fragment the one-line message must hold (it names the bad thing).
BAD_INPUTS = [
    # race
    (["race", "--steps", "abc"], "--steps must be an integer >= 1; got 'abc'"),
    (["race", "--steps", "1.5"], "--steps must be an integer >= 1; got '1.5'"),
    (["race", "--tol", "x"], "--tol must be a number; got 'x'"),
    (["race", "--tol", "-1"], "--tol must be a number >= 0; got -1.0"),
    (["race", "--seed", "x"], "--seed must be an integer >= 0; got 'x'"),
    (["race", "--restarts", "-2"], "--restarts must be an integer >= 1; got -2"),
    (["race", "-p", "dim"], "write surface parameters as key=value; got 'dim'"),
    (["race", "-p", "dim=x"], "--param dim: 'x' is not a number"),
    (["race", "--start", "a,b"], "--start: 'a' is not a number"),
    (["race", "--start", "nan,1"], "--start: 'nan' is not a finite number"),
    (["race", "--steps", "3000000000"], "--steps must be at most 2,147,483,647; got 3000000000"),
    (["race", "--restarts", "2000000000"], "2,000,000,000 restarts would need "),
    (["fit", "--seed", "99999999999999"], "--seed must be at most 2,147,483,647"),
    (["fit", "--epochs", "2000000000"], "epochs x steps per epoch must be at most 2,147,483,647"),
    (["lr-find", "--steps", "2000000000"], "a range test of 2,000,000,000 steps would need "),
    (["race", "-o", "adam:lr=1e999"], "optimizer adam, lr: '1e999' is not a finite number"),
    (["race", "-o", "adam:b1=1"], "optimizer adam: b1 must be a number in [0, 1); got 1.0"),
    (["race", "-o", "lookahead-nesterov:gamma=1"], "unknown hyperparameter(s) gamma; valid: lr"),
    (["race", "--plot", "r.pdf"], "--plot must end in .png or .svg; got 'r.pdf'"),
    (["race", "--animate", "r.avi"], "--animate must end in .gif or .mp4; got 'r.avi'"),
    (["race", "--plot", "afile/r.png"], "--plot: cannot write 'afile/r.png': 'afile' is a file"),
    (["race", "--animate", "afile/r.gif"], "--animate: cannot write 'afile/r.gif'"),
    (["race", "--plot", "figs"], "--plot must end in .png or .svg; got 'figs'"),
    (["race", "--bogus"], "unrecognized arguments: --bogus"),
    (["race", "--surface", "everest"], "unknown surface 'everest'; valid names: "),
    (["race", "-o", "lbfgs"], "unknown optimizer 'lbfgs'; valid optimizers: gd, momentum"),
    # a misspelt name gets the closest valid one
    (["race", "--surface", "rosenbrok"], "unknown surface 'rosenbrok' (did you mean rosenbrock?)"),
    (["race", "-o", "adamm"], "unknown optimizer 'adamm' (did you mean adam?); valid optimizers"),
    (["race", "-o", "adam:lrr=0.1"], "unknown hyperparameter(s) lrr (did you mean lr?); valid: lr"),
    (["race", "-o", "ADAM:LR=0.1"], "unknown hyperparameter(s) LR (did you mean lr?); valid: lr"),
    (["fit", "--data", "iriss"], "unknown data set 'iriss' (did you mean iris?); valid names: "),
    (["race", "-o", "adam:alpha=0.1"], "unknown hyperparameter(s) alpha; valid: lr, b1"),
    (["race", "-o", "adam:lr=-1"], "optimizer adam: lr must be a finite number >= 0"),
    (["race", "-o", "adam:lr"], "write hyperparameters as key=value"),
    (["race", "-o", "adam:lr=fast"], "lr: 'fast' is not a number"),
    (["race", "--start", "1,2,3"], "--start needs 2 numbers for rosenbrock; got 3"),
    (["race", "--steps", "0"], "--steps must be an integer >= 1; got 0"),
    (["race", "-s", "quadratic", "-p", "kappa=0.5"], "kappa"),
    # race --fair
    (["race", "--fair", "--start", "0,0"], "--start cannot go with --fair"),
    (["race", "--fair", "--restarts", "4"], "--restarts cannot go with --fair"),
    (["race", "--fair", "--anneal"], "--anneal cannot go with --fair"),
    (["race", "--fair", "--plot", "race.png"], "--plot cannot go with --fair"),
    (["race", "--starts", "4"], "--starts is an option of the fair race; add --fair"),
    (["race", "--metric", "loss"], "--metric is an option of the fair race; add --fair"),
    (["race", "--fair", "--metric", "time"], "invalid choice: 'time'"),
    (["race", "--fair", "--tune", "some"], "invalid choice: 'some'"),
    (["race", "--fair", "--starts", "0"], "--starts must be an integer >= 1; got 0"),
    (["race", "--fair", "--grid", "1"], "--grid must be an integer >= 2; got 1"),
    (["race", "--fair", "--grid", "2000"], "--grid with --fair must be at most 1024; got 2000"),
    (["race", "--fair", "--steps", "200000"], "--steps with --fair must be at most 100000"),
    (["race", "--fair", "-o", "adam:lr=0.1"], "adam: lr is tuned by fair_race"),
    (["race", "--fair", "-o", "momentum:beta=0.5", "--tune", "all"], "momentum: beta is tuned"),
    (["race", "--fair", "-o", "adam:b1=2"], "b1 must be a number in [0, 1); got 2.0"),
    (["race", "--fair", "-o", "annealing"], "'annealing' is refused"),
    (["race", "--fair", "-o", "lookahead-nesterov"], "evaluates the gradient twice per step"),
    (["race", "--fair", "-o", "gd", "-o", "gd"], "gd is listed twice"),
    (["race", "--fair", "-o", "lbfgs"], "unknown optimizer 'lbfgs'"),
    (["race", "--fair", "-s", "saddle", "--metric", "loss"], "unbounded below"),
    (["race", "--fair", "-s", "everest"], "unknown surface 'everest'"),
    # fit
    (
        ["fit", "--batch-size", "abc"],
        "--batch-size must be auto, full or an integer >= 1; got 'abc'",
    ),
    (
        ["fit", "--batch-size", "1.5"],
        "--batch-size must be auto, full or an integer >= 1; got '1.5'",
    ),
    (["fit", "--model", "mlp", "--hidden", "32,abc"], "--hidden must be comma-separated integers"),
    (["fit", "--model", "mlp", "--hidden", "0"], "--hidden must be comma-separated integers >= 1"),
    (["fit", "--hidden", "32"], "--hidden shapes an mlp; add --model mlp"),
    (["fit", "--model", "mlp", "--activation", "softplus"], "invalid choice: 'softplus'"),
    (["fit", "--data", "one.csv", "--target", "y"], "has 1 class; classification needs at least 2"),
    (["fit", "--data", "iris", "--target", "y"], "--target names a column of a CSV file; 'iris'"),
    (
        ["fit", "--data", "reg.csv", "--target", "y", "--loss", "bce"],
        "--loss binary_cross_entropy is a binary classification loss; this data is regression",
    ),
    (["fit", "--loss", "mse"], "--loss mse is a regression loss; this data is classification"),
    (["fit", "--loss", "triplet"], "--loss triplet is for embedding outputs"),
    (["fit", "--loss", "nope"], "--loss: unknown loss 'nope'; valid names: "),
    (["fit", "--epochs", "0"], "--epochs must be an integer >= 1; got 0"),
    (["fit", "--epochs", "x"], "--epochs must be an integer >= 1; got 'x'"),
    (["fit", "--seed", "-1"], "--seed must be an integer >= 0; got -1"),
    (["fit", "--patience", "0"], "--patience must be an integer >= 1; got 0"),
    (["fit", "--validation", "1.5"], "--validation must be a number >= 0 and < 1; got 1.5"),
    (["fit", "--test", "abc"], "--test must be a number; got 'abc'"),
    (["fit", "--lr", "0"], "--lr must be a number > 0; got 0.0"),
    (["fit", "--tol", "-1"], "--tol must be a number >= 0 or 'none'; got '-1'"),
    (["fit", "--model", "cnn"], "invalid choice: 'cnn'"),
    (["fit", "-o", "adam:b1=2"], "optimizer adam: b1 must be a number in [0, 1); got 2.0"),
    (["fit", "--data", "reg.csv", "--target", "price"], "no target column 'price'"),
    (["fit", "--data", "afile/x.csv", "--target", "y"], "afile/x.csv"),
    (["fit", "--data", "mnist"], "unknown data set 'mnist'; valid names: "),
    (["fit", "--data", "missing.csv", "--target", "y"], "missing.csv"),
    (["fit", "--data", "x.csv"], "read_csv: no such file: 'x.csv'"),
    (["fit", "--data", "reg.csv"], "--target is required for a CSV file (reg.csv): name the "
     "column to predict, one of a, y"),
    (["fit", "--data", "diabetes", "--model", "logistic"], "is for classification"),
    (["fit", "--data", "iris", "--model", "linear"], "is for regression"),
    (["fit", "--data", "iris", "--model", "logistic"], "needs 2 classes; this data has 3"),
    (["fit", "-b", "1000"], "--batch-size must be auto, full or an integer in 1..105"),
    (["fit", "-b", "half"], "got 'half'"),
    (["fit", "--lr", "-1"], "--lr must be a number > 0; got -1.0"),
    (["fit", "--data", "/dev/zero", "--target", "y"], "read_csv: is a device, not a file"),
    (["fit", "-o", "adamx"], "unknown optimizer 'adamx'"),
    (["fit", "--loss", "kl"], "kl"),
    (["fit", "--validation", "0.6", "--test", "0.5"], "sum to less than 1"),
    (["fit", "--data", "tiny.csv", "--target", "y"], "--data tiny.csv: its 4 samples are too "
     "few to cut into train, validation and test parts of 0.7, 0.15, 0.15"),
    # lr-find
    (["lr-find", "--start", "0"], "--start must be a number > 0; got 0.0"),
    (["lr-find", "--start", "x"], "--start must be a number; got 'x'"),
    (["lr-find", "--end", "1e-9"], "--end must be greater than --start"),
    (["lr-find", "--steps", "2"], "--steps must be an integer >= 5; got 2"),
    (["lr-find", "--rows", "0"], "--rows must be an integer >= 1; got 0"),
    (["lr-find", "--method", "fast"], "invalid choice: 'fast'"),
    (["lr-find", "--model", "mlp"], "--model applies to a model on --data"),
    (["lr-find", "--target", "y"], "--target applies to a model on --data"),
    (["lr-find", "--data", "iris", "-b", "abc"], "--batch-size must be an integer >= 1 or 'full'"),
    (["lr-find", "--data", "iris", "-b", "10000"], "--batch-size must be at most the 150 samples"),
    (["lr-find", "-o", "nope"], "unknown optimizer 'nope'; valid optimizers: gd, momentum"),
    (["lr-find", "-s", "nope"], "unknown surface 'nope'; valid names: "),
    (["lr-find", "--data", "nope"], "unknown data set 'nope'; valid names: "),
    # diagnose
    (["diagnose"], "the following arguments are required: file"),
    (["diagnose", "nope.csv"], "no such file: nope.csv"),
    (["diagnose", "."], ". is a folder"),
    (["diagnose", "/dev/zero"], "/dev/zero is a device, not a file"),
    (["diagnose", "one.csv", "--column", "zz"], "no column 'zz'"),
    # plot
    (["plot"], "the following arguments are required: kind"),
    (["plot", "nope"], "invalid choice: 'nope'"),
    (["plot", "field", "--out", "afile/x.png"], "--out: cannot write 'afile/x.png'"),
    (["plot", "field", "-o", "adam"], "-o applies to surface and lr-sensitivity"),
    (["plot", "surface", "-o", "gd", "-o", "adam"], "surface draws one path; got 2 optimizers"),
    (["plot", "surface", "-o", "gd:lr=-1"], "optimizer gd: lr must be"),
    (["plot", "lr-sensitivity", "-o", "adam:lr=1"], "sweeps lr itself"),
    (["plot", "lr-sensitivity", "-o", "adam:b1=3"], "b1 must be a number in [0, 1); got 3.0"),
    (["plot", "momentum-map", "--kappa", "0.5"], "--kappa must be a number >= 1; got 0.5"),
    (["plot", "flavours", "--seed", "x"], "--seed must be an integer >= 0; got 'x'"),
    (["plot", "surface", "-s", "nope"], "unknown surface 'nope'"),
    # plot basins and plot stability
    (["plot", "basins", "--resolution", "513"], "--resolution must be an integer in [2, 512]"),
    (["plot", "basins", "--resolution", "1"], "--resolution must be an integer >= 2"),
    (["plot", "basins", "--steps", "0"], "--steps must be an integer >= 1"),
    (["plot", "basins", "--bounds", "1,2,3"], "--bounds must be 4 comma-separated numbers"),
    (["plot", "basins", "--bounds", "1,0,3,4"], "--bounds must be finite with xmin < xmax"),
    (["plot", "basins", "-o", "gd", "-o", "adam"], "basins maps one optimizer; got 2"),
    (["plot", "basins", "-o", "gd:lr=-1"], "optimizer gd: lr must be"),
    (["plot", "basins", "-s", "rastrigin", "-p", "dim=3"], "basins draws 2-D surfaces"),
    (["plot", "basins", "-s", "himmelblau", "-f", "x^2"], "--surface or --function, not both"),
    (["plot", "basins", "--x", "lr"], "--x applies to stability, not basins"),
    (["plot", "basins", "--out", "b.pdf"], "--out must end in .png or .svg"),
    (["plot", "stability", "--bounds", "0,1,0,1"], "--bounds applies to basins, not stability"),
    (["plot", "stability", "-o", "momentum:lr=0.1"], "lr is an axis of the map"),
    (["plot", "stability", "--x", "gamma"], "momentum has no hyperparameter 'gamma'"),
    (["plot", "stability", "-o", "annealing"], "stability maps a rule of the registry"),
    (["plot", "stability", "--x-range", "0,1"], "--x-range: lr is spread on a log scale"),
    (["plot", "stability", "--y-range", "0.5"], "--y-range must be 2 comma-separated numbers"),
    (["plot", "stability", "--metric", "speed"], "invalid choice"),
    (["plot", "field", "--json"], "--json applies to basins and stability, not field"),
    # tour
    (["tour", "--out", "afile/x.html"], "--out: cannot write 'afile/x.html': 'afile' is a file"),
    (["tour", "--out", "."], "--out: '.' is a folder; give a file name"),
    # optimizer options in -o: a value among the registry's choices, each key once
    (["race", "-o", "adam:amsgrad=max"], "choices: none, raw, corrected"),
    (["race", "-o", "momentum:nesterov=maybe"], "'maybe' is not allowed; choices: false, true"),
    (["race", "-o", "momentum:form=sideways"], "choices: sum, ema, velocity"),
    (["race", "-o", "adam:lr=0.1,lr=0.2"], "optimizer adam: lr is given twice; give each key once"),
    (["race", "-o", "adam:zeta=1"], "eps_root; options: eps_hat, amsgrad"),
    (["race", "--fair", "-o", "adam:amsgrad=raw"], "amsgrad is a structural option"),
    # numbers beyond float32 (the default precision)
    (["race", "-f", "x^2+y^2", "--start", "1e308,1"], "--start: '1e308' is out of range"),
    (["race", "-o", "adam:lr=1e39"], "optimizer adam, lr: '1e39' is out of range"),
    (["fit", "--lr", "1e308"], "--lr must be a number with |x| <= 3.403e+38"),
    (["race", "-s", "quadratic", "-p", "kappa=1e39"], "--param kappa: '1e39' is out of range"),
    # messages that name the option
    (["plot", "basins", "--bounds=-1e308,1e308,-1,1"], "--bounds"),
    (["plot", "basins", "--bounds=-3e38,3e38,-1,1"], "--bounds must be finite with xmin < xmax"),
    (["fit", "--validation", "0", "--early-stopping"], "needs a validation fraction > 0"),
    (["tour", "--out", "x.png"], "--out must end in .html or .htm; got 'x.png'"),
    # empty text is refused, not read as the default
    (["plot", "surface", "--out", ""], "--out must be a file name ending"),
    (["race", "--surface", ""], "--surface must be a surface name, not empty"),
    (["race", "--function", " "], "--function must be a function of x and y, not empty"),
    (["fit", "--loss", ""], "--loss must be a loss name, not empty"),
    (["fit", "--data", ""], "--data must be a data set name or a CSV path, not empty"),
    (["fit", "--model", "mlp", "--hidden", "1,,2"], "--hidden must be comma-separated"),
    (["fit", "--model", "mlp", "--hidden", "32,"], "--hidden must be comma-separated"),
    (["lr-find", "--surface", ""], "--surface must be a surface name, not empty"),
    (["tour", "--out", ""], "--out must be a file name ending in .html, not empty"),
    # no command of that name
    (["nope"], "invalid choice: 'nope'"),
    # a port says its range, below it and above it alike
    (["play", "--port", "99999"], "--port must be an integer in [1, 65535]; got 99999 (see"),
    (["play", "--port", "-1"], "--port must be an integer in [1, 65535]; got -1 (see"),
    # a study action's output is checked before the study is read, and the action named
    (["study", "results", "nowhere", "--out", "afile/x.csv"],
     "descend study results: error: --out: cannot write 'afile/x.csv': 'afile' is a file"),
]  # fmt: skip


@pytest.fixture
def files(tmp_path, monkeypatch):
    """A one-class CSV, a regression CSV, a CSV of four samples and a plain file where a
    folder is expected."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "one.csv").write_text("a,b,y\n1,2,1\n3,4,1\n5,6,1\n7,8,1\n")
    rows = "".join(f"{i},{1.37 * i + 0.1 * (i % 3):.3f}\n" for i in range(1, 31))
    (tmp_path / "reg.csv").write_text("a,y\n" + rows)
    (tmp_path / "afile").write_text("not a folder\n")
    (tmp_path / "tiny.csv").write_text("a,y\n1,0\n2,1\n3,0\n4,1\n")
    return tmp_path


def test_the_table_is_broad():
    commands = {argv[0] for argv, _ in BAD_INPUTS}
    assert len(BAD_INPUTS) >= 40
    assert commands >= {"race", "fit", "lr-find", "diagnose", "plot", "tour"}


@pytest.mark.parametrize(("argv", "fragment"), BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_is_one_line_and_exit_2(files, cli, argv, fragment):
    before = sorted(files.rglob("*"))
    code, out, err = cli(*argv)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err and err.endswith("\n") and err.count("\n") == 1
    # the command, and a study's action, name themselves
    command = (
        "descend" if argv[0] == "nope" else " ".join(["descend", *argv[: 1 + (argv[0] == "study")]])
    )
    assert err.startswith(f"{command}: error: ")
    assert fragment in err
    assert "radius" not in err and "split:" not in err  # no internal names
    assert sorted(files.rglob("*")) == before  # nothing written


def test_outputs_are_checked_before_the_work(files, cli):
    # ten million steps, or minutes of tour, would run first if the path were checked after
    code, _, err = cli("race", "-o", "gd", "--steps", "10000000", "--plot", "afile/r.png")
    assert code == 2 and "--plot: cannot write" in err
    assert not (files / "afile").is_dir()
    code, _, err = cli("race", "-s", "styblinski_tang", "-p", "dim=3", "--steps", "10000000",
                       "--plot", "r.png")  # fmt: skip
    assert code == 2 and "2-D surfaces" in err


def test_a_writable_output_is_not_left_behind_by_the_check(files, cli):
    # the check creates the folders (as the writer would) but leaves no empty file
    code, _, _ = cli("plot", "field", "-o", "adam", "--out", "figs/f.png")
    assert code == 2 and not (files / "figs" / "f.png").exists()


def _value_options():
    """(command words, option) for every option of every command that takes a value."""
    import argparse

    from descend.cli import build_parser

    def walk(words, parser):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk([*words, name], sub)
            elif words and action.option_strings and action.nargs != 0:
                yield words, action.option_strings[-1]

    return list(walk([], build_parser()))


LONG = "x" * 5000
#: what a command needs besides the option, so that the option's value is read
POSITIONALS = {
    "diagnose": ["reg.csv"],
    "plot": ["basins"],
    "study run": ["spec.toml", "--dir", "runs"],
    "study resume": ["runs"],
    "study results": ["runs"],
    "study report": ["runs"],
}
VALUE_OPTIONS = _value_options()


def test_every_value_option_is_listed():
    assert len(VALUE_OPTIONS) >= 60
    assert {"race", "fit", "lr-find", "plot", "tour", "play", "study"} <= {
        w[0] for w, _ in VALUE_OPTIONS
    }


@pytest.mark.parametrize(
    ("words", "option"), VALUE_OPTIONS, ids=[" ".join([*w, o]) for w, o in VALUE_OPTIONS]
)
def test_a_long_text_is_one_short_line_and_exit_2(files, cli, words, option):
    """5,000 letters given to any option (a name, a number, a path, a host) are bad input:
    one line that cuts the text where it echoes it (at 240 letters, longer than a real
    path needs), never the text in full (an output path that long failed with the system's
    'File name too long' traceback; a data set name, an optimizer's hyperparameter, a batch
    size, --start and --host were echoed whole)."""
    code, out, err = cli(*words, *POSITIONALS.get(" ".join(words), []), option, LONG)
    assert code == 2, err
    assert out == ""
    assert "Traceback" not in err and err.count("\n") == 1
    assert len(err) < 800 and "x" * 240 not in err, err
    assert "the following arguments are required" not in err


@pytest.mark.parametrize(
    "argv",
    [["diagnose", LONG], ["diagnose", f"/tmp/{LONG}"], ["fit", "--data", f"{LONG}.csv"],
     ["race", "-o", f"adam:{LONG}=0.1"], ["race", "-o", f"adam:{LONG}"],
     ["race", "-s", "quadratic", "--lr", LONG]],
    ids=["diagnose", "diagnose-path", "csv", "hyperparameter", "key=value", "unrecognized"],
)  # fmt: skip
def test_a_long_name_inside_a_value_is_cut_too(files, cli, argv):
    code, out, err = cli(*argv)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert len(err) < 800 and "x" * 240 not in err, err
