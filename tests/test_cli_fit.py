"""`descend fit` on the command line: bundled sets, generated sets, CSV files, JSON, errors."""

import json

import pytest


def test_default_fit_prints_a_metrics_table(cli):
    code, out, _ = cli("fit", "--epochs", "30")
    assert code == 0
    assert out.startswith("descend fit: softmax on iris (classification)")
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("split"))
    assert lines[header].split() == ["split", "samples", "loss", "accuracy"]
    rows = {line.split()[0]: line.split() for line in lines[header + 2 :]}
    assert set(rows) == {"train", "validation", "test"}
    assert sum(int(r[1]) for r in rows.values()) == 150
    assert float(rows["train"][3]) > 0.85


def test_json_report_for_a_generated_set_and_an_mlp(cli):
    code, out, _ = cli("fit", "--data", "moons", "--model", "mlp", "--hidden", "16",
                       "--activation", "tanh", "-o", "adam:lr=0.02", "--epochs", "60",
                       "--json")  # fmt: skip
    report = json.loads(out)
    assert code == 0 and report["model"] == "mlp" and report["loss"] == "binary_cross_entropy"
    assert report["hyperparameters"] == {"lr": 0.02} and report["epochs_run"] == 60
    assert len(report["loss_curve"]) == 60
    assert report["loss_curve"][-1] < report["loss_curve"][0]
    assert report["metrics"]["test"]["accuracy"] > 0.8


def test_csv_regression(tmp_path, cli):
    path = tmp_path / "houses.csv"
    rows = ["size,rooms,price"] + [f"{s},{r},{3 * s + 2 * r + 1}" for s in range(1, 21)
                                    for r in (1, 2)]  # fmt: skip
    path.write_text("\n".join(rows) + "\n")
    code, out, _ = cli("fit", "--data", str(path), "--target", "price", "--model",
                       "linear", "-o", "adam:lr=0.5", "--epochs", "1000", "-b", "full",
                       "--json")  # fmt: skip
    report = json.loads(out)
    assert code == 0 and report["task"] == "regression" and report["batch_size"] == "full"
    assert report["metrics"]["train"]["r2"] > 0.99


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fit", "--data", "mnist"], "unknown data set 'mnist'; valid names: "),
        (["fit", "--data", "missing.csv", "--target", "y"], "missing.csv"),
        (["fit", "--data", "x.csv"], "--target is required for a CSV file"),
        (["fit", "--data", "diabetes", "--model", "logistic"], "is for classification"),
        (["fit", "--data", "iris", "--model", "linear"], "is for regression"),
        (["fit", "--data", "iris", "--model", "logistic"], "needs 2 classes; this data has 3"),
        (["fit", "-b", "1000"], "--batch-size must be in 1..105"),
        (["fit", "-o", "adamx"], "unknown optimizer 'adamx'"),
        (["fit", "--loss", "kl"], "kl"),
        (["fit", "--validation", "0.6", "--test", "0.5"], "sum to less than 1"),
    ],
)
def test_bad_input_exits_2(cli, argv, message):
    code, _, err = cli(*argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_csv_errors_name_the_problem(tmp_path, cli):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,y\n1,2,0\n3,oops,1\n")
    code, _, err = cli("fit", "--data", str(path), "--target", "y")
    assert code == 2 and "oops" in err
