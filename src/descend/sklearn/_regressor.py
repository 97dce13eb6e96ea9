"""``DescendRegressor``: linear regression or an MLP trained by :func:`descend.fit`."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import column_or_1d, validate_data

from descend.sklearn._base import DescendEstimator, estimator_init
from descend.sklearn._docs import parameters_doc

#: Losses a regressor may use (``descend.losses``' regression losses).
REGRESSION_LOSSES = ("mse", "mae", "huber")

_MODEL_DOC = """
    model : {"linear", "mlp"}, default="linear"
        ``"linear"``: ``f(x) = x W + b`` (:func:`descend.models.linear`, like
        ``LinearRegression``/``SGDRegressor``); ``"mlp"``: a fully connected network
        (:func:`descend.models.mlp`, like ``MLPRegressor``). Several targets (``y`` of shape
        ``(n_samples, n_targets)``) give one output each.
"""

_LOSS_DOC = """
    loss : {"mse", "mae", "huber"} or None, default=None
        The per-sample loss (:mod:`descend.losses`); ``None`` is ``"mse"`` (``MLPRegressor``'s
        squared error, ``SGDRegressor``'s ``"squared_error"``). ``"huber"`` uses delta 1.
"""


_ATTRIBUTES_DOC = """    target_mean_, target_scale_ : ndarray of shape (n_targets,)
        The statistics of ``standardize`` for the targets (0 and 1 with
        ``standardize=False``): ``predict`` returns ``f(z) * target_scale_ + target_mean_``.
"""


class DescendRegressor(RegressorMixin, DescendEstimator):
    __doc__ = (
        "A scikit-learn regressor trained by gradient descent with :func:`descend.fit`.\n"
        + parameters_doc(_MODEL_DOC, _LOSS_DOC, "R^2", _ATTRIBUTES_DOC, regression=True)
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from descend.sklearn import DescendRegressor
    >>> X, y = load_diabetes(return_X_y=True)   # y in the hundreds: standardized inside
    >>> DescendRegressor(random_state=0).fit(X, y).score(X, y) > 0.5
    True
"""
    )

    _parameter_constraints: ClassVar[dict] = {
        **DescendEstimator._parameter_constraints,
        "model": [StrOptions({"linear", "mlp"})],
        "loss": [StrOptions(set(REGRESSION_LOSSES)), None],
    }
    _task = "regression"

    __init__ = estimator_init("linear")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y, sample_weight=None):
        """Train on ``X`` (n_samples, n_features) and targets ``y`` (n_samples,) or
        (n_samples, n_targets) for up to ``epochs`` epochs; returns ``self``.
        ``sample_weight`` (n_samples,), weights >= 0, weighs each sample's loss (and the
        standardization's statistics); None weighs them alike."""
        self._validate_params()
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch on ``(X, y)``, continuing from the previous parameters and optimizer
        state (the first call starts from a new initialisation); returns ``self``. Mirrors
        ``MLPRegressor.partial_fit``; ``early_stopping`` and ``tol`` do not apply, and a
        ``schedule`` goes on from the update count reached, over ``epochs`` planned epochs."""
        self._validate_params()
        return self._fit(X, y, incremental=True, sample_weight=sample_weight)

    def _fit(self, X, y, incremental: bool, sample_weight=None):
        first = not (incremental and hasattr(self, "params_"))
        X, y = validate_data(
            self, X, y, dtype=np.float64, multi_output=True, y_numeric=True, reset=first
        )
        if y.ndim == 2 and y.shape[1] == 1:  # as MLPRegressor: warn, and predict shape (n,)
            y = column_or_1d(y, warn=True)
        y = np.asarray(y, dtype=np.float64)
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        hidden = self._hidden() if self.model == "mlp" else ()
        activation = self.activation if self.model == "mlp" else ""
        spec = (self.model, X.shape[1], n_outputs, hidden, activation)
        return self._train(X, y, spec, self.loss or "mse", incremental, sample_weight)

    def predict(self, X):
        """The predicted targets, float64, shape (n_samples,) or (n_samples, n_targets): the
        model's output mapped back to the units of ``y``, ``f(z) * target_scale_ +
        target_mean_``."""
        out = self._outputs(X)
        return (out.reshape(len(out), -1) * self.target_scale_ + self.target_mean_).reshape(
            out.shape
        )
