"""What a scikit-learn user waits for: fits on data of sizes the process has not seen, each
of which compiles its own training program, at an earlier commit and now, in one run:
``python -m benchmarks.first_fit [--before REV] [--rounds 3]``.

Each round runs, in fresh interpreters on the old tree (``src/`` of ``REV``) and the current
one: ``DescendRegressor().fit`` on five data sizes (30, 47, 100, 333 and 1,000 samples of 4
features, each new to the process), and a 5-fold ``cross_val_score`` of
``make_pipeline(StandardScaler(), DescendRegressor())`` on diabetes, beside the same score of
scikit-learn's ``SGDRegressor`` (the peer). The figures are medians over the rounds.
"""

from __future__ import annotations

from benchmarks.step_before_after import compare

CHILD = """
import json, time, warnings
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import SGDRegressor
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from descend.sklearn import DescendRegressor
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
out = {}
t = time.perf_counter()
for n in (30, 47, 100, 333, 1000):
    X = rng.normal(size=(n, 4))
    DescendRegressor().fit(X, X @ np.arange(1.0, 5.0))
out["five new sizes"] = time.perf_counter() - t
X, y = load_diabetes(return_X_y=True)
for name, est in (("cv descend", DescendRegressor()), ("cv SGDRegressor", SGDRegressor())):
    t = time.perf_counter()
    cross_val_score(make_pipeline(StandardScaler(), est), X, y, cv=5)
    out[name] = time.perf_counter() - t
print(json.dumps(out))
"""


def main(argv: list[str] | None = None) -> int:
    return compare(argv, __doc__, CHILD, "48099b6", 3, "s", 2)


if __name__ == "__main__":
    raise SystemExit(main())
