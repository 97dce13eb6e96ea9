"""The fitted rate model: a small multinomial logistic regression from the features of
:mod:`descend.insight.diagnose._features` to the three rate verdicts ``too_high``,
``too_low`` and ``ok``.

``p(k | x) = softmax_k(b_k + sum_j W[k, j] * (x_j - MEAN[j]) / SCALE[j])``, the standard
multinomial logit (e.g. Hastie, Tibshirani and Friedman, *The Elements of Statistical
Learning*, 4.4), fitted by :func:`fit` with an L2 penalty ``l2 * sum W**2`` and every class
weighted by the inverse of its count (so that the mean recall, the balanced accuracy, is what
it fits). The table below was fitted by ``python -m benchmarks.foreign_corpus --fit`` on the
TUNING parts of the foreign corpus (PyTorch and scikit-learn logs, as logged and per epoch)
and of descend's own corpus (loss columns and per-step batch losses), with the penalty chosen
by cross-validation by task (``BENCHMARKS.md``). It reads only curves that carry nothing
better: the doctor keeps its rules for curves with gradient norms or an engine's verdict,
and ``diverged`` is always a hard rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CLASSES = ("too_high", "too_low", "ok")

# fitted by benchmarks/foreign_corpus.py --fit (see the module docstring); one row a class
# features (columns) in the order of features.NAMES; the zero columns were left out by the
# cross-validated choice of the feature set (the core eight of benchmarks.foreign_corpus.CORE)
MEAN = np.array(
    [
        3.119496,
        -1.207912,
        0.215033,
        0.289337,
        0.126666,
        0.044828,
        0.389462,
        0.174676,
        -2.488085,
        -0.184097,
        0.24972,
        0.092241,
        0.114537,
        0.515419,
    ]
)
SCALE = np.array(
    [
        1.720107,
        1.940392,
        0.39063,
        0.377473,
        0.507665,
        0.234841,
        0.754039,
        0.221052,
        1.798407,
        0.380632,
        0.362164,
        0.376243,
        0.318463,
        0.499762,
    ]
)
INTERCEPT = np.array([-2.260702, 0.795994, 1.464722])
WEIGHTS = np.array([
    [-1.643406, -0.571017, 0.141329, 0.0, 1.198245, 0.0, 1.715065, 0.0, 1.140504, 0.0, 0.0,
     0.0, 0.559406, -0.445064],
    [0.193207, 1.184887, -0.181516, 0.0, -0.769296, 0.0, -1.956221, 0.0, -1.173336, 0.0, 0.0,
     0.0, -0.476215, 1.014427],
    [1.450198, -0.61387, 0.040187, 0.0, -0.428949, 0.0, 0.241156, 0.0, 0.032832, 0.0, 0.0,
     0.0, -0.08319, -0.569363],
])  # fmt: skip
L2 = 1.0  # the penalty cross-validation chose


def probabilities(x: np.ndarray, table: dict | None = None) -> np.ndarray:
    """``p(class | features)`` for one feature vector or a matrix of them (rows), in the order
    of :data:`CLASSES`; ``table`` (from :func:`fit`) replaces the stored one."""
    t = table or {"mean": MEAN, "scale": SCALE, "intercept": INTERCEPT, "weights": WEIGHTS}
    z = (np.atleast_2d(x) - t["mean"]) / t["scale"]
    logits = z @ np.asarray(t["weights"]).T + t["intercept"]
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    return p[0] if np.ndim(x) == 1 else p


def fit(
    X: np.ndarray, y: Sequence[str], l2: float = L2, columns: Sequence[int] | None = None
) -> dict:
    """Fit the model to feature rows ``X`` with labels ``y`` (in :data:`CLASSES`): Newton's
    method on the class-weighted, L2-penalised negative log-likelihood (convex; the features
    standardized first). ``columns`` keeps only those features (the others get weight 0).
    Returns ``{"mean", "scale", "intercept", "weights"}``."""
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    keep = np.zeros(d, bool)
    keep[list(range(d)) if columns is None else list(columns)] = True
    mean, scale = X.mean(0), X.std(0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    Z = np.c_[np.ones(n), ((X - mean) / scale)[:, keep]]
    k = len(CLASSES)
    Y = np.array([[label == c for c in CLASSES] for label in y], dtype=float)
    w = 1.0 / np.maximum(Y.sum(0), 1.0)
    sample = (Y * w).sum(1) * n / k  # every class weighs the same in all
    m = Z.shape[1]
    theta = np.zeros((k, m))
    penalty = np.full(m, l2)
    penalty[0] = 0.0  # the intercepts are not penalised
    for _ in range(50):
        logits = Z @ theta.T
        logits -= logits.max(1, keepdims=True)
        P = np.exp(logits)
        P /= P.sum(1, keepdims=True)
        grad = ((P - Y) * sample[:, None]).T @ Z + theta * penalty
        H = np.zeros((k * m, k * m))
        for a in range(k):
            for b in range(k):
                c = sample * P[:, a] * ((a == b) - P[:, b])
                H[a * m : (a + 1) * m, b * m : (b + 1) * m] = (Z * c[:, None]).T @ Z
        H += np.diag(np.tile(penalty, k)) + 1e-8 * np.eye(k * m)
        step = np.linalg.lstsq(H, grad.ravel(), rcond=None)[0].reshape(k, m)
        theta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    weights = np.zeros((k, d))
    weights[:, keep] = theta[:, 1:]
    return {"mean": mean, "scale": scale, "intercept": theta[:, 0], "weights": weights}
