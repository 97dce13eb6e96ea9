"""`descend fit` on the command line: bundled sets, generated sets, CSV files, JSON, errors,
and its defaults against scikit-learn's estimators on the same split."""

import json

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDRegressor

from descend.cli import _fit as cli_fit
from descend.problems import data as data_lib


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


def test_no_validation_and_no_test_trains_on_all_the_data(cli):
    """``--validation 0 --test 0`` failed on every data set with ``split: fractions must be
    2 or 3 positive numbers summing to 1; got (1.0,)``: now all samples train, uncut."""
    code, out, _ = cli("fit", "--validation", "0", "--test", "0", "--epochs", "50", "--json")
    report = json.loads(out)
    assert code == 0 and report["samples"] == {"train": data_lib.load("iris").n_samples}
    assert set(report["metrics"]) == {"train"} and report["metrics"]["train"]["accuracy"] > 0.9


def test_json_report_for_a_generated_set_and_an_mlp(cli):
    code, out, _ = cli("fit", "--data", "moons", "--model", "mlp", "--hidden", "16",
                       "--activation", "tanh", "-o", "adam:lr=0.02", "--epochs", "60",
                       "--tol", "none", "--json")  # fmt: skip
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


def test_csv_errors_name_the_problem(tmp_path, cli):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,y\n1,2,0\n3,oops,1\n")
    code, _, err = cli("fit", "--data", str(path), "--target", "y")
    assert code == 2 and "oops" in err


# -- the defaults against scikit-learn's estimators on the same split ----------------------------


def _split(name, target=None):
    data = data_lib.read_csv(name, target) if target else data_lib.load(name)
    return data_lib.split(data, (0.7, 0.15, 0.15), seed=0)


def _report(cli, *argv):
    code, out, _ = cli("fit", *argv, "--json")
    assert code == 0
    return json.loads(out)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # SGDRegressor's
def test_default_fit_on_diabetes_matches_linear_regression(cli):
    # The target is in the hundreds: unstandardised, the default fit ended at R^2 = -2.95.
    report = _report(cli, "--data", "diabetes")
    train, _, test = _split("diabetes")
    truth = LinearRegression().fit(train.X, train.y)
    sgd = SGDRegressor(random_state=0).fit(train.X, train.y)
    ours = report["metrics"]
    assert abs(ours["train"]["r2"] - truth.score(train.X, train.y)) < 0.01
    assert abs(ours["test"]["r2"] - truth.score(test.X, test.y)) < 0.02
    assert ours["test"]["r2"] > sgd.score(test.X, test.y) - 0.02
    # the loss is reported in the units of y: the mean squared error of the predictions
    assert ours["train"]["loss"] == pytest.approx(
        np.mean((truth.predict(train.X) - train.y) ** 2), rel=0.02
    )
    assert report["standardized"] and report["stop_reason"].startswith("converged")
    assert not report["not_converged"]
    raw = _report(cli, "--data", "diabetes", "--no-standardize")
    assert raw["metrics"]["train"]["r2"] < 0  # why the target is standardised by default


@pytest.mark.parametrize("name", ["iris", "breast_cancer"])
def test_default_fit_matches_logistic_regression(cli, name):
    report = _report(cli, "--data", name)
    train, _, test = _split(name)
    truth = LogisticRegression(max_iter=10_000).fit(train.X, train.y)
    ours = report["metrics"]
    assert ours["train"]["accuracy"] >= truth.score(train.X, train.y) - 0.01
    assert ours["test"]["accuracy"] >= truth.score(test.X, test.y) - 0.05  # 22 test samples
    assert report["batch_size"] == cli_fit.auto_batch(report["samples"]["train"])
    assert report["hyperparameters"] == {"lr": 0.01}


def test_default_fit_on_a_csv_of_unscaled_columns(tmp_path, cli):
    rng = np.random.default_rng(0)
    size, rooms, age = rng.uniform(50, 300, 120), rng.integers(1, 6, 120), rng.uniform(0, 80, 120)
    price = 3000 * size + 20000 * rooms - 1000 * age + 50000 + rng.normal(0, 30000, 120)
    path = tmp_path / "houses.csv"
    path.write_text("size,rooms,age,price\n" + "".join(
        f"{a:.1f},{b},{c:.1f},{d:.0f}\n" for a, b, c, d in zip(size, rooms, age, price, strict=True)
    ))  # fmt: skip
    report = _report(cli, "--data", str(path), "--target", "price")
    train, _, test = _split(str(path), "price")
    truth = LinearRegression().fit(train.X, train.y)
    assert abs(report["metrics"]["test"]["r2"] - truth.score(test.X, test.y)) < 0.01
    assert report["metrics"]["test"]["r2"] > 0.9


def test_a_run_far_from_converged_says_so(cli):
    code, out, _ = cli("fit", "--data", "diabetes", "--epochs", "3")
    line = next(x for x in out.splitlines() if x.startswith("not converged"))
    assert code == 0 and line.startswith(
        "not converged after 3 epochs: the loss was still falling by "
    )
    assert line.endswith(" per epoch; try --epochs or --lr")
    fall = float(line.split("falling by ")[1].split()[0])
    report = _report(cli, "--data", "diabetes", "--epochs", "3")
    curve = report["loss_curve"]
    assert report["not_converged"] and fall == pytest.approx((curve[0] - curve[-1]) / 2, rel=1e-2)


def test_still_falling_rule():
    curve = [1.0, 0.5, 0.3, 0.25, 0.24]
    assert cli_fit.still_falling(curve, True, 1e-4, 2) == pytest.approx(0.03)  # (0.3 - 0.24) / 2
    assert cli_fit.still_falling(curve, True, 0.05, 2) is None  # falls by less than tol
    assert cli_fit.still_falling(curve, False, 1e-4, 2) is None  # stopped by tol: converged
    assert cli_fit.still_falling(curve, True, None, 10) == pytest.approx(0.19)  # 4 epochs


def test_lr_and_tol_options(cli):
    report = _report(cli, "-o", "adam:lr=0.5,b1=0.8", "--lr", "0.02", "--epochs", "5",
                     "--tol", "none")  # fmt: skip
    assert report["hyperparameters"] == {"b1": 0.8, "lr": 0.02} and report["epochs_run"] == 5
    mlp = _report(cli, "--model", "mlp", "--epochs", "2")
    assert mlp["hyperparameters"] == {"lr": 0.001}


def test_cli_and_estimators_share_the_auto_rules():
    sklearn_base = pytest.importorskip("descend.sklearn._base")
    assert all(cli_fit.auto_batch(n) == sklearn_base.auto_batch(n) for n in range(1, 3000, 7))
    for model, rate in sklearn_base.AUTO_RATES.items():
        assert cli_fit.AUTO_RATES[model] == rate


def test_the_splits_scores_are_the_closed_forms_and_share_compiled_programs(compilations):
    """Each split's loss and metric are computed on its rows padded to a power of two, the
    padding masked out: the mean log-loss, the accuracy and R^2 of the rows themselves, and
    two splits in one size of padding compile the scoring once."""
    from sklearn.metrics import log_loss, r2_score

    import descend as ds

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4)).astype(np.float32)
    labels = (X[:, 0] + 0.5 * rng.normal(size=30) > 0).astype(np.int32)
    model = ds.models.logistic(4)
    params = {"w": rng.normal(size=(4, 1)).astype(np.float32), "b": np.float32([0.1])}
    p = 1 / (1 + np.exp(-(X.astype(np.float64) @ params["w"] + params["b"]).ravel()))
    loss = ds.losses.get("binary_cross_entropy")
    with compilations() as seen:
        for n in (20, 30):  # both padded to 32 rows
            got = cli_fit.evaluate(model, params, loss, X[:n], labels[:n], "classification")
            assert got["loss"] == pytest.approx(
                log_loss(labels[:n], p[:n], labels=[0, 1]), rel=1e-5
            )
            assert got["accuracy"] == pytest.approx(np.mean((p[:n] > 0.5) == labels[:n]))
    assert seen("scores") == 1
    linear = ds.models.linear(4)
    y = (X @ np.array([1.0, -1.0, 0.5, 0.0]) + 0.3 * rng.normal(size=30)).astype(np.float32)
    got = cli_fit.evaluate(linear, params, ds.losses.get("mse"), X[:25], y[:25], "regression")
    f = (X[:25].astype(np.float64) @ params["w"] + params["b"]).ravel()
    assert got["r2"] == pytest.approx(r2_score(y[:25], f), rel=1e-5)
    assert got["loss"] == pytest.approx(np.mean((y[:25] - f) ** 2), rel=1e-5)
