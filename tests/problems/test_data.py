"""Data sets: the Dataset checks, scikit-learn's bundled sets, CSV files and each of their
errors, the generators (determinism, shapes, balance and their geometry without noise), splits
and standardization."""

import csv
import os
import sys
import threading

import numpy as np
import pytest

from descend.problems import data, surfaces
from descend.problems.data import Dataset, Standardizer

# ---------------------------------------------------------------------------------------------
# Dataset


def test_dataset_stores_read_only_float32_copies_and_reports_its_sizes():
    X = np.arange(12).reshape(4, 3)  # integers become float32
    y = np.array([0.0, 1.0, 2.0, 1.0])  # integral floats become int32 labels
    d = Dataset(X, y, "classification", "toy", ("a", "b", "c"))
    assert d.X.dtype == np.float32 and d.y.dtype == np.int32
    assert (d.n_samples, d.n_features, d.n_classes, len(d)) == (4, 3, 3, 4)
    assert not d.X.flags.writeable and not d.y.flags.writeable
    X[0, 0] = 99
    assert d.X[0, 0] == 0  # a copy
    assert "n_samples=4" in repr(d) and "n_classes=3" in repr(d)
    r = Dataset(X.astype(np.float64), y, "regression")
    assert r.X.dtype == np.float64 and r.y.dtype == np.float64  # float64 kept on request
    with pytest.raises(ValueError, match="n_classes is for classification only"):
        _ = r.n_classes


@pytest.mark.parametrize(
    ("X", "y", "task", "match"),
    [
        (np.zeros(3), np.zeros(3), "regression", r"X must be 2-D .*got shape \(3,\)"),
        (np.zeros((3, 2)), np.zeros(4), "regression", r"one target per row of X \(3\)"),
        (np.zeros((3, 2)), np.zeros(3), "ranking", r"task must be one of .*'ranking'"),
        (np.zeros((3, 1)), [0, 1.5, 2], "classification", r"labels must be integers; .*1\.5"),
        (np.zeros((3, 1)), [0, -1, 1], "classification", r"labels must be >= 0 .*row 1: -1"),
        (np.zeros((2, 1)), [0.0, np.nan], "regression", r"y must hold no NaN .*rows 1"),
    ],
)
def test_dataset_rejects_bad_shapes_tasks_and_labels(X, y, task, match):
    with pytest.raises(ValueError, match=match):
        Dataset(X, y, task)


def test_dataset_names_the_rows_and_columns_of_nans():
    X = np.zeros((6, 3))
    X[2, 1] = np.nan
    X[4, 0] = np.nan
    X[4, 2] = np.inf
    with pytest.raises(ValueError, match=r"found 3 in rows 2, 4 and columns 0, 1, 2"):
        Dataset(X, np.zeros(6), "regression")


def test_dataset_checks_names_against_shapes():
    with pytest.raises(ValueError, match=r"feature_names must have one name per column \(2\)"):
        Dataset(np.zeros((2, 2)), [0, 1], "classification", feature_names=("a",))
    with pytest.raises(ValueError, match=r"label 2 has no name"):
        Dataset(np.zeros((2, 1)), [0, 2], "classification", target_names=("a", "b"))
    # named classes count even when absent from y (a split part may lack one)
    assert Dataset(np.zeros((1, 1)), [0], "classification", target_names=("a", "b")).n_classes == 2


# ---------------------------------------------------------------------------------------------
# Bundled sets


@pytest.mark.parametrize(
    ("name", "shape", "n_classes"),
    [
        ("iris", (150, 4), 3),
        ("wine", (178, 13), 3),
        ("breast_cancer", (569, 30), 2),
        ("digits", (1797, 64), 10),
        ("diabetes", (442, 10), None),
    ],
)
def test_bundled_sets_load_with_their_shapes_and_classes(name, shape, n_classes):
    d = data.load(name)
    assert d.X.shape == shape and d.y.shape == (shape[0],)
    assert d.X.dtype == np.float32 and d.name == name
    assert len(d.feature_names) == shape[1]
    if n_classes is None:
        assert d.task == "regression" and d.y.dtype == np.float32
    else:
        assert d.task == "classification" and d.y.dtype == np.int32
        assert d.n_classes == n_classes == len(np.unique(d.y)) == len(d.target_names)
        assert set(np.unique(d.y)) == set(range(n_classes))


def test_load_errors(monkeypatch):
    with pytest.raises(ValueError, match=r"unknown data set 'mnist'; valid names: breast_cancer"):
        data.load("mnist")
    with pytest.raises(TypeError, match="name must be a string"):
        data.load(3)
    assert data.load("Breast-Cancer").name == "breast_cancer"
    monkeypatch.setitem(sys.modules, "sklearn", None)  # as if scikit-learn were not installed
    # (and nothing kept from an earlier read, as for a scikit-learn that was never installed:
    # a kept set is named by the version it came from)
    monkeypatch.setenv("DESCEND_DATA_CACHE", "off")
    with pytest.raises(ImportError, match=r"pip install descend\[sklearn\]"):
        data.load("iris")


@pytest.mark.parametrize("name", ["iris", "diabetes", "digits"])
def test_a_bundled_set_read_once_is_read_again_without_scikit_learn(name, tmp_path, monkeypatch):
    """The first load reads scikit-learn and keeps the set in DESCEND_DATA_CACHE; the next
    loads it from there, equal in every field, with scikit-learn's import made impossible
    (it costs a process about a second). A kept file cut short is read from scikit-learn
    again and rewritten; "off" keeps nothing."""
    monkeypatch.setenv("DESCEND_DATA_CACHE", str(tmp_path))
    first = data.load(name)
    (kept,) = tmp_path.glob(f"{name}-sklearn-*.npz")
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "sklearn", None)
        again = data.load(name)
    for field in ("task", "name", "feature_names", "target_names"):
        assert getattr(again, field) == getattr(first, field)
    for field in ("X", "y"):
        a, b = getattr(again, field), getattr(first, field)
        assert a.dtype == b.dtype and np.array_equal(a, b)
    kept.write_bytes(kept.read_bytes()[:100])  # cut short
    assert np.array_equal(data.load(name).X, first.X)
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "sklearn", None)
        assert np.array_equal(data.load(name).y, first.y)  # rewritten whole
    assert [p.name for p in tmp_path.iterdir()] == [kept.name]  # no partial file left
    off = tmp_path / "off"
    monkeypatch.setenv("DESCEND_DATA_CACHE", "off")
    monkeypatch.chdir(tmp_path)
    data.load(name)
    assert not off.exists() and [p.name for p in tmp_path.iterdir()] == [kept.name]


# ---------------------------------------------------------------------------------------------
# CSV files


def _write(path, rows, delimiter=","):
    with open(path, "w", newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def test_csv_round_trip_regression(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3)).astype(np.float32)
    y = rng.normal(size=30).astype(np.float32)
    rows = [["a", "price", "b", "c"]]
    rows += [
        [repr(float(r[0])), repr(float(t)), repr(float(r[1])), repr(float(r[2]))]
        for r, t in zip(X, y, strict=True)
    ]
    d = data.read_csv(_write(tmp_path / "houses.csv", rows), "price")
    assert d.task == "regression" and d.name == "houses"
    assert d.feature_names == ("a", "b", "c")
    np.testing.assert_array_equal(d.X, X)
    np.testing.assert_array_equal(d.y, y)


def test_csv_classification_inferred_and_labels_renumbered(tmp_path):
    path = _write(tmp_path / "t.csv", [["x", "y"], ["0.5", "1"], ["1.5", "-1"], ["2", "1.0"]])
    d = data.read_csv(path, "y")
    assert d.task == "classification"
    assert d.target_names == ("-1", "1")
    np.testing.assert_array_equal(d.y, [1, 0, 1])
    # labels 0 .. k-1 keep their values
    path = _write(tmp_path / "u.csv", [["x", "y"], ["1", "2"], ["2", "0"], ["3", "1"]])
    np.testing.assert_array_equal(data.read_csv(path, "y").y, [2, 0, 1])
    # text labels: classes sorted by name
    path = _write(tmp_path / "v.csv", [["x", "kind"], ["1", "virginica"], ["2", " setosa"]])
    d = data.read_csv(path, "kind")
    assert d.task == "classification" and d.target_names == ("setosa", "virginica")
    np.testing.assert_array_equal(d.y, [1, 0])


def test_csv_task_inference_threshold_and_override(tmp_path):
    many = [["x", "t"]] + [[str(i), str(i)] for i in range(data.MAX_INFERRED_CLASSES + 1)]
    path = _write(tmp_path / "many.csv", many)
    assert data.read_csv(path, "t").task == "regression"  # 21 distinct integers
    d = data.read_csv(path, "t", task="classification")
    assert d.n_classes == data.MAX_INFERRED_CLASSES + 1
    few = _write(tmp_path / "few.csv", many[: data.MAX_INFERRED_CLASSES + 1])
    assert data.read_csv(few, "t").task == "classification"  # 20 distinct integers
    d = data.read_csv(few, "t", task="regression")
    assert d.task == "regression" and d.y.dtype == np.float32


def test_csv_delimiter_quotes_spaces_and_blank_lines(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text('"first; col";y\n 1.5 ; 2\n\n"3";4\n', encoding="utf-8")
    d = data.read_csv(path, "y", delimiter=";", task="regression")
    assert d.feature_names == ("first; col",)
    np.testing.assert_array_equal(d.X, [[1.5], [3.0]])
    np.testing.assert_array_equal(d.y, [2.0, 4.0])


def test_csv_delimiter_read_from_the_header(tmp_path):
    """Spreadsheets where the decimal mark is a comma write semicolons; tabs are common too.
    The header decides, and an explicit delimiter still wins."""
    expected = np.array([[1.5, 2.0], [3.0, 4.0]], np.float32)
    for sep in (";", "\t"):
        path = tmp_path / "data.csv"
        path.write_text(f"a{sep}b{sep}y\n1.5{sep}2{sep}0.5\n3{sep}4{sep}1.5\n")
        d = data.read_csv(path, "y")
        np.testing.assert_array_equal(d.X, expected)
        assert d.feature_names == ("a", "b")
    path.write_text("a;b,y\n1,2\n3,4\n")  # a comma in the header: commas
    assert data.read_csv(path, "y").feature_names == ("a;b",)
    path.write_text("a;b;y\n1;2;0.5\n3;4;1.5\n")
    with pytest.raises(ValueError, match="no target column 'y'"):
        data.read_csv(path, "y", delimiter=",")


def test_csv_of_a_spreadsheet_with_decimal_commas_and_8_bit_text(tmp_path):
    """Where the decimal mark is a comma, spreadsheets write semicolons between cells and
    commas in numbers, often as Windows-1252 text; PowerShell writes UTF-16."""
    text = "température;débit;y\n1,5;2;0,5\n-3,25e1;4;1,5\n"
    expected = np.array([[1.5, 2.0], [-32.5, 4.0]], np.float32)
    for encoding in ("cp1252", "utf-16", "utf-8-sig"):
        path = tmp_path / "tableur.csv"
        path.write_bytes(text.encode(encoding))
        d = data.read_csv(path, "y", task="regression")
        assert d.feature_names == ("température", "débit")
        np.testing.assert_array_equal(d.X, expected)
        np.testing.assert_array_equal(d.y, [0.5, 1.5])
    # in a comma-separated file a quoted "1,5" is not a number: commas separate the cells
    path.write_text('a,y\n"1,5",0\n2,1\n')
    with pytest.raises(ValueError, match=r"non-numeric values in column 'a' \(line 2: '1,5'\)"):
        data.read_csv(path, "y")
    path.write_bytes(b"a,y\n\x00\x01,2\n")
    with pytest.raises(ValueError, match="is binary data"):
        data.read_csv(path, "y")


def test_csv_from_a_pipe_is_named_pipe(tmp_path):
    fifo = tmp_path / "63"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text("a,y\n1,2\n3,4\n"))
    writer.start()
    d = data.read_csv(fifo, "y")
    writer.join()
    assert d.name == "pipe" and d.X.tolist() == [[1.0], [3.0]]


def test_csv_missing_file_and_empty_files(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError, match=r"no such file: .*nope\.csv"):
        data.read_csv(missing, "y")
    with pytest.raises(FileNotFoundError, match="is a directory"):
        data.read_csv(tmp_path, "y")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match=r"empty\.csv.*the file is empty"):
        data.read_csv(tmp_path / "empty.csv", "y")
    (tmp_path / "header.csv").write_text("x,y\n\n")
    with pytest.raises(ValueError, match=r"has a header \(\['x', 'y'\]\) but no data rows"):
        data.read_csv(tmp_path / "header.csv", "y")


@pytest.mark.parametrize(
    ("rows", "target", "kwargs", "match"),
    [
        ([["a", "b"], ["1", "2"]], "y", {}, r"no target column 'y'; the columns are \['a', 'b'\]"),
        (
            [["0.5", "1e3", "2"], ["1", "2", "3"]],
            "y",
            {},
            r"the columns are \['0.5', '1e3', '2'\]; the first row holds numbers: add a header",
        ),
        ([["y"], ["1"]], "y", {}, r"no feature columns besides the target 'y'"),
        ([["a", "a", "y"], ["1", "2", "3"]], "y", {}, r"duplicated column names \['a'\]"),
        ([["a", "y"], ["1", "2"], ["1", "2", "3"]], "y", {}, r"2 cells .*line 3 has 3"),
        (
            [["a", "b", "y"], ["1", "x", "0"], ["oops", "2", "1"], ["3", "?", "0"]],
            "y",
            {},
            r"non-numeric values in column 'a' \(line 3: 'oops'\); "
            r"column 'b' \(line 2: 'x', line 4: '\?'\)",
        ),
        (
            [["a", "b", "y"], ["1", "", "0"], ["nan", "2", "1"], ["3", "4", " "]],
            "y",
            {},
            r"empty, NaN or infinite cells: column 'a' at line\(s\) 3; column 'b' at line\(s\) 2; "
            r"column 'y' at line\(s\) 4",
        ),
        (
            [["a", "y"], ["1", "0.5"], ["2", "1"]],
            "y",
            {"task": "classification"},
            r"needs integer labels in column 'y'; got line 2: '0.5'",
        ),
        ([["a", "y"], ["1", "2"], ["2", "cat"]], "y", {}, r"non-numeric .*'y' \(line 3: 'cat'\)"),
        ([["a", "y"], ["1", "dog"]], "y", {"task": "regression"}, r"column 'y' \(line 2: 'dog'"),
        ([["a", "y"], ["1", "2"]], "y", {"task": "ordinal"}, r"task must be one of"),
    ],
)
def test_csv_errors_name_what_is_wrong_and_where(tmp_path, rows, target, kwargs, match):
    path = _write(tmp_path / "bad.csv", rows)
    with pytest.raises(ValueError, match=match):
        data.read_csv(path, target, **kwargs)


def test_csv_lists_at_most_five_offenders_per_column(tmp_path):
    rows = [["a", "y"]] + [["x", "0"]] * 8
    with pytest.raises(ValueError, match=r"line 6: 'x' \(and 3 more\)"):
        data.read_csv(_write(tmp_path / "many.csv", rows), "y")


# ---------------------------------------------------------------------------------------------
# Generators

CLASSIFIERS = [
    (data.blobs, 3, 2),
    (data.moons, 2, 2),
    (data.circles, 2, 2),
    (data.xor, 2, 2),
    (data.spiral, 3, 2),
]


@pytest.mark.parametrize(("make", "k", "d"), CLASSIFIERS)
def test_classification_generators(make, k, d):
    a = make(n_samples=101, seed=3)
    assert a.X.shape == (101, d) and a.X.dtype == np.float32
    assert a.task == "classification" and a.n_classes == k
    counts = np.bincount(a.y, minlength=k)
    assert counts.max() - counts.min() <= 1  # balanced
    assert not np.all(np.diff(a.y) >= 0)  # shuffled, not sorted by class
    b = make(n_samples=101, seed=3)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, make(n_samples=101, seed=4).X)
    default = make()
    assert default.n_samples == (300 if make in (data.blobs, data.spiral) else 200)


def test_generator_geometry_without_noise():
    m = data.moons(n_samples=50, noise=0.0)
    upper, lower = m.X[m.y == 0].astype(np.float64), m.X[m.y == 1].astype(np.float64)
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, rtol=1e-6)
    assert upper[:, 1].min() >= 0 and lower[:, 1].max() <= 0.5

    c = data.circles(n_samples=60, noise=0.0, factor=0.3)
    radii = np.hypot(*c.X.T.astype(np.float64))
    np.testing.assert_allclose(radii[c.y == 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(radii[c.y == 1], 0.3, rtol=1e-6)

    x = data.xor(n_samples=40, noise=0.0)
    assert set(map(tuple, x.X.tolist())) == {(1, 1), (-1, -1), (1, -1), (-1, 1)}
    np.testing.assert_array_equal(x.y, (x.X[:, 0] * x.X[:, 1] < 0).astype(int))

    s = data.spiral(n_samples=90, classes=3, noise=0.0)
    r = np.hypot(*s.X.T.astype(np.float64))
    angle = np.arctan2(s.X[:, 0], s.X[:, 1])  # points are (r sin t, r cos t)
    t = 4 * s.y + 4 * r  # the arm's angle; compare on the circle, away from the centre
    far = r > 0.1
    np.testing.assert_allclose(np.cos(angle[far] - t[far]), 1.0, atol=1e-4)

    b = data.blobs(n_samples=30, centers=[[0, 0, 0], [5, 5, 5]], n_features=3, cluster_std=0)
    np.testing.assert_array_equal(b.X, np.array([[0, 0, 0], [5, 5, 5]])[b.y])


def test_regression_generators():
    lin = data.linear_regression(n_samples=50, n_features=3, noise=0.0, seed=1)
    assert lin.X.shape == (50, 3) and lin.task == "regression"
    truth = lin.X.astype(np.float64) @ np.arange(1, 4) + data.LINEAR_REGRESSION_BIAS
    np.testing.assert_allclose(lin.y, truth, rtol=1e-5, atol=1e-5)
    noisy = data.linear_regression(n_samples=2000, n_features=2, noise=0.1, seed=2)
    A = np.column_stack([noisy.X, np.ones(2000)])
    coef = np.linalg.lstsq(A, noisy.y, rcond=None)[0]
    np.testing.assert_allclose(coef, [1.0, 2.0, 0.5], atol=0.01)
    assert np.std(noisy.y - A @ coef) == pytest.approx(0.1, rel=0.05)
    assert data.linear_regression().X.shape == (100, 1)

    poly = data.polynomial_regression(n_samples=40, degree=3, noise=0.0)
    x = poly.X[:, 0].astype(np.float64)
    assert poly.X.shape == (40, 1) and np.all(np.abs(x) <= 1)
    np.testing.assert_allclose(poly.y, 4 * x**3 - 3 * x, atol=1e-6)  # T_3
    quad = data.polynomial_regression(degree=2, noise=0.0)
    np.testing.assert_allclose(quad.y, 2 * quad.X[:, 0] ** 2 - 1, atol=1e-6)  # T_2
    a, b = data.polynomial_regression(seed=5), data.polynomial_regression(seed=5)
    np.testing.assert_array_equal(a.y, b.y)


def test_sigmoid_neuron_data_is_the_texts_two_points():
    d = data.sigmoid_neuron_data()
    assert d.task == "regression" and d.X.shape == (2, 1)
    np.testing.assert_array_equal(d.X[:, 0], np.float32([0.5, 2.5]))
    np.testing.assert_array_equal(d.y, np.float32([0.2, 0.9]))
    assert tuple(d.X[:, 0].tolist()) == tuple(np.float32(surfaces.SIGMOID_NEURON_X).tolist())


@pytest.mark.parametrize(
    ("make", "kwargs", "error", "match"),
    [
        (
            data.moons,
            {"n_samples": 1},
            ValueError,
            r"moons: n_samples must be an integer >= 2; got 1",
        ),
        (data.blobs, {"n_samples": 10.0}, TypeError, r"blobs: n_samples must be an integer"),
        (data.xor, {"seed": -1}, ValueError, r"xor: seed must be an integer >= 0; got -1"),
        (data.circles, {"seed": 1.5}, TypeError, r"circles: seed must be an integer"),
        (data.moons, {"noise": -0.1}, ValueError, r"moons: noise must be a finite number >= 0"),
        (
            data.circles,
            {"factor": 1.0},
            ValueError,
            r"circles: factor must be a number in \(0, 1\)",
        ),
        (
            data.spiral,
            {"classes": 1},
            ValueError,
            r"spiral: classes must be an integer >= 2; got 1",
        ),
        (
            data.blobs,
            {"centers": [[0, 0, 0]]},
            ValueError,
            r"blobs: centers must be .*n_features=2",
        ),
        (
            data.blobs,
            {"cluster_std": float("nan")},
            ValueError,
            r"cluster_std must be a finite number",
        ),
        (
            data.linear_regression,
            {"n_features": 0},
            ValueError,
            r"n_features must be an integer >= 1",
        ),
        (
            data.polynomial_regression,
            {"degree": 0},
            ValueError,
            r"degree must be an integer >= 1; got 0",
        ),
    ],
)
def test_generator_arguments_are_checked(make, kwargs, error, match):
    with pytest.raises(error, match=match):
        make(**kwargs)


# ---------------------------------------------------------------------------------------------
# split


def _with_ids(d):
    """``d`` with its first feature replaced by the row number, to follow samples."""
    X = np.array(d.X)
    X[:, 0] = np.arange(d.n_samples)
    return Dataset(X, d.y, d.task, d.name, d.feature_names, d.target_names)


@pytest.mark.parametrize("stratify", [None, True, False])
def test_split_puts_every_sample_in_exactly_one_part(stratify):
    iris = _with_ids(data.load("iris"))
    parts = data.split(iris, seed=1, stratify=stratify)
    assert [p.n_samples for p in parts] == [105, 23, 22]  # 0.7, 0.15, 0.15 of 150
    assert [p.name for p in parts] == ["iris:train", "iris:validation", "iris:test"]
    ids = np.concatenate([p.X[:, 0] for p in parts]).astype(int)
    np.testing.assert_array_equal(np.sort(ids), np.arange(150))
    for p in parts:  # rows keep their labels
        np.testing.assert_array_equal(p.y, iris.y[p.X[:, 0].astype(int)])
        assert p.target_names == iris.target_names


def test_split_fractions_determinism_and_regression():
    d = _with_ids(data.linear_regression(n_samples=101))
    train, test = data.split(d, (0.8, 0.2), seed=4)
    assert (train.n_samples, test.n_samples) == (81, 20)  # 80.8 + 20.2: the .8 gets the spare
    again = data.split(d, (0.8, 0.2), seed=4)
    np.testing.assert_array_equal(train.X, again[0].X)
    other = data.split(d, (0.8, 0.2), seed=5)
    assert not np.array_equal(train.X, other[0].X)
    assert not np.all(np.diff(train.X[:, 0]) > 0)  # shuffled


@pytest.mark.parametrize("name", ["iris", "digits"])
def test_stratified_split_keeps_class_proportions(name):
    d = data.load(name)
    fractions = (0.6, 0.25, 0.15)
    counts = np.bincount(d.y)
    for part, f in zip(data.split(d, fractions, seed=2, stratify=True), fractions, strict=True):
        got = np.bincount(part.y, minlength=d.n_classes)
        assert np.all(np.abs(got - f * counts) < 2), (got, f * counts)


def test_stratified_split_of_skewed_classes():
    y = np.repeat([0, 1, 2], [90, 9, 1])
    d = Dataset(np.zeros((100, 1)), y, "classification")
    train, test = data.split(d, (0.7, 0.3), stratify=True)
    assert np.bincount(train.y, minlength=3)[:2].tolist() == [63, 6]
    assert np.bincount(test.y, minlength=3)[:2].tolist() == [27, 3]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"fractions": (0.5, 0.4)},
            ValueError,
            r"2 or 3 positive numbers summing to 1; got \(0\.5, 0\.4\)",
        ),
        ({"fractions": (0.25,) * 4}, ValueError, r"2 or 3 positive numbers"),
        ({"fractions": (1.2, -0.2)}, ValueError, r"2 or 3 positive numbers"),
        ({"fractions": "ab"}, TypeError, r"fractions must be 2 or 3 numbers"),
        ({"fractions": (0.98, 0.01, 0.01)}, ValueError, r"too few .*every part needs at least one"),
        ({"seed": -3}, ValueError, r"seed must be an integer >= 0; got -3"),
        ({"stratify": "yes"}, TypeError, r"stratify must be True, False or None"),
    ],
)
def test_split_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        data.split(data.moons(n_samples=20), **kwargs)


def test_split_errors_for_the_wrong_data():
    with pytest.raises(ValueError, match="stratify=True needs a classification Dataset"):
        data.split(data.linear_regression(), stratify=True)
    with pytest.raises(TypeError, match="split: data must be a Dataset"):
        data.split(np.zeros((10, 2)))


# ---------------------------------------------------------------------------------------------
# Standardizer


def test_standardizer_gives_mean_zero_std_one_and_inverts():
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(500, 3)) * [1.0, 100.0, 0.01] + [5.0, -300.0, 2.0]).astype(np.float32)
    X = np.column_stack([X, np.full(500, 7.0, np.float32)])  # a constant column
    s = Standardizer()
    Z = s.fit_transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z[:, :3].mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(Z[:, :3].std(0), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(Z[:, 3], 0.0)  # std of a constant column taken as 1
    assert s.std[3] == 1.0
    np.testing.assert_allclose(s.inverse_transform(Z), X, rtol=1e-5)
    np.testing.assert_allclose(s.transform(X[:5] * 0 + s.mean.astype(np.float32)), 0, atol=1e-4)
    assert s.transform(X.astype(np.float64)).dtype == np.float64


def test_a_weighted_standardizer_is_scikit_learns_and_repeated_rows():
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3)) * [1.0, 10.0, 0.1] + [2.0, -5.0, 0.0]
    X[:, 2] = np.where(np.arange(40) < 5, 9.0, 3.0)  # constant once the first five weigh 0
    w = rng.integers(0, 4, 40).astype(float)
    w[:5] = 0.0
    s = Standardizer().fit(X, sample_weight=w)
    sk = StandardScaler().fit(X, sample_weight=w)
    np.testing.assert_allclose(s.mean, sk.mean_, rtol=1e-12)
    np.testing.assert_allclose(s.std[:2], sk.scale_[:2], rtol=1e-12)
    repeated = Standardizer().fit(X.repeat(w.astype(int), axis=0))
    np.testing.assert_allclose(s.mean, repeated.mean, rtol=1e-12)
    np.testing.assert_allclose(s.std, repeated.std, rtol=1e-12)
    assert s.std[2] == 1.0  # constant over the rows that count
    huge = Standardizer().fit(X, sample_weight=w * 1e306)  # the sums would overflow
    np.testing.assert_allclose(huge.mean, s.mean, rtol=1e-12)
    np.testing.assert_allclose(huge.std, s.std, rtol=1e-12)
    for bad in (np.zeros(40), -np.ones(40), np.ones(3), np.full(40, np.nan)):
        with pytest.raises(ValueError, match="sample_weight must be 40 finite weights >= 0"):
            Standardizer().fit(X, sample_weight=bad)


def test_standardizer_errors():
    with pytest.raises(ValueError, match=r"Standardizer.transform: call fit\(X\) first"):
        Standardizer().transform(np.zeros((2, 2)))
    s = Standardizer().fit(np.ones((3, 2)))
    with pytest.raises(
        ValueError, match=r"must have 2 columns, as when fitted; got shape \(3, 3\)"
    ):
        s.transform(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"X must be a 2-D numeric array .*got shape \(3,\)"):
        Standardizer().fit(np.zeros(3))
    with pytest.raises(TypeError, match=r"got a Dataset"):
        Standardizer().fit(data.moons())


def test_standardize_fits_on_the_first_dataset_only():
    train, val, test = data.split(data.load("wine"), seed=0)
    s_train, s_val, s_test = data.standardize(train, val, test)
    np.testing.assert_allclose(s_train.X.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(s_train.X.std(0), 1.0, rtol=1e-4)
    scaler = Standardizer().fit(train.X)
    np.testing.assert_array_equal(s_val.X, scaler.transform(val.X))
    np.testing.assert_array_equal(s_test.X, scaler.transform(test.X))
    for before, after in [(train, s_train), (val, s_val), (test, s_test)]:
        np.testing.assert_array_equal(after.y, before.y)
        assert after.name == before.name and after.target_names == before.target_names
    (only,) = data.standardize(train)
    np.testing.assert_array_equal(only.X, s_train.X)
    with pytest.raises(TypeError, match="standardize: argument 1 must be a Dataset"):
        data.standardize(train, val.X)
