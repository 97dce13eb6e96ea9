"""``DescendClassifier``: logistic/softmax regression or an MLP trained by :func:`descend.fit`."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d, validate_data

from descend.sklearn._base import DescendEstimator, estimator_init
from descend.sklearn._docs import parameters_doc

#: Names of the cross-entropy (log) loss: binary cross-entropy for two classes, softmax
#: cross-entropy for more (``descend.losses`` aliases included).
CROSS_ENTROPY = (
    "binary_cross_entropy",
    "softmax_cross_entropy",
    "log_loss",
    "bce",
    "logistic",
    "cross_entropy",
    "categorical_cross_entropy",
)
#: Losses for two classes only.
BINARY_LOSSES = ("hinge", "squared_hinge", "focal")
#: Losses whose model outputs are log-odds, so that ``predict_proba`` means something.
PROBABILISTIC = (*CROSS_ENTROPY, "focal")

_MODEL_DOC = """
    model : {"logistic", "mlp"}, default="logistic"
        ``"logistic"``: logistic regression for two classes (:func:`descend.models.logistic`,
        one logit), softmax (multinomial) regression for more
        (:func:`descend.models.softmax`), like ``LogisticRegression``/``SGDClassifier``;
        ``"mlp"``: a fully connected network (:func:`descend.models.mlp`) with one output
        for two classes and one per class otherwise, like ``MLPClassifier``.
"""

_LOSS_DOC = """
    loss : str or None, default=None
        The per-sample loss (:mod:`descend.losses`). ``None``, or any name of the
        cross-entropy (``"binary_cross_entropy"``, ``"softmax_cross_entropy"``,
        ``"log_loss"``, ``"bce"``, ``"logistic"``, ``"cross_entropy"``,
        ``"categorical_cross_entropy"``), is binary cross-entropy from the logit for two
        classes and softmax cross-entropy for more (``MLPClassifier``'s and
        ``SGDClassifier``'s ``"log_loss"``). For two classes only: ``"hinge"`` (a linear SVM
        with ``model="logistic"``, ``SGDClassifier``'s default), ``"squared_hinge"`` and
        ``"focal"`` (gamma 2, alpha 0.25). ``predict_proba`` exists for the cross-entropy
        and focal losses, not for the hinge losses (as in ``SGDClassifier``).
"""


_ATTRIBUTES_DOC = """    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
"""


class DescendClassifier(ClassifierMixin, DescendEstimator):
    __doc__ = (
        "A scikit-learn classifier trained by gradient descent with :func:`descend.fit`.\n\n"
        "    Labels may be of any type (strings too); ``classes_`` holds them sorted.\n"
        + parameters_doc(_MODEL_DOC, _LOSS_DOC, "accuracy", _ATTRIBUTES_DOC)
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from descend.sklearn import DescendClassifier
    >>> X, y = load_iris(return_X_y=True)   # raw features: standardized inside
    >>> DescendClassifier(random_state=0).fit(X, y).score(X, y) > 0.9
    True
"""
    )

    _parameter_constraints: ClassVar[dict] = {
        **DescendEstimator._parameter_constraints,
        "model": [StrOptions({"logistic", "mlp"})],
        "loss": [StrOptions({*CROSS_ENTROPY, *BINARY_LOSSES}), None],
    }
    _task = "classification"

    __init__ = estimator_init("logistic")

    def fit(self, X, y, sample_weight=None):
        """Train on ``X`` (n_samples, n_features) and labels ``y`` (n_samples,) for up to
        ``epochs`` epochs; returns ``self``. ``sample_weight`` (n_samples,), weights >= 0,
        weighs each sample's loss (and the standardization's statistics); None weighs them
        alike."""
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        classes = np.unique(y)
        if self.warm_start and hasattr(self, "classes_") and not _same(classes, self.classes_):
            raise ValueError(
                "warm_start needs y to have the same classes as the previous fit "
                f"({self.classes_.tolist()}); got {classes.tolist()}"
            )
        return self._fit(X, y, classes, incremental=False, sample_weight=sample_weight)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch on ``(X, y)``, continuing from the previous parameters and optimizer
        state; returns ``self``. The first call needs ``classes``, all the labels that will
        ever appear (as ``MLPClassifier.partial_fit``); ``early_stopping`` and ``tol`` do
        not apply, and a ``schedule`` goes on from the update count reached, over ``epochs``
        planned epochs."""
        self._validate_params()
        first = not hasattr(self, "params_")
        X, y = validate_data(self, X, y, dtype=np.float64, reset=first)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        if classes is None:
            classes = self.classes_
        else:
            classes = np.unique(column_or_1d(classes))
            if not first and not _same(classes, self.classes_):
                raise ValueError(
                    f"classes={classes.tolist()} is not the same as on the first call to "
                    f"partial_fit ({self.classes_.tolist()})"
                )
        unseen = np.setdiff1d(np.unique(y), classes)
        if unseen.size:
            raise ValueError(
                f"y holds labels {unseen.tolist()} that are not in classes {classes.tolist()}"
            )
        return self._fit(X, y, classes, incremental=True, sample_weight=sample_weight)

    def _fit(self, X, y, classes, incremental: bool, sample_weight=None):
        if classes.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes to train; got 1 "
                f"class ({classes[0]!r})"
            )
        k = classes.size
        name = self.loss
        if name is None or name in CROSS_ENTROPY:
            loss = "binary_cross_entropy" if k == 2 else "softmax_cross_entropy"
        elif k > 2:
            raise ValueError(
                f"loss={name!r} is for two classes but y has {k} classes "
                f"({classes.tolist()}); use loss='softmax_cross_entropy' (or None)"
            )
        else:
            loss = name
        codes = np.searchsorted(classes, y)
        target = codes.astype(np.float32) if k == 2 else codes.astype(np.int32)
        hidden = self._hidden() if self.model == "mlp" else ()
        activation = self.activation if self.model == "mlp" else ""
        spec = (self.model, X.shape[1], 1 if k == 2 else k, hidden, activation)
        self._train(X, target, spec, loss, incremental, sample_weight)
        self.classes_ = classes
        return self

    def decision_function(self, X):
        """The logits (raw scores): shape (n_samples,) for two classes (positive means
        ``classes_[1]``), (n_samples, n_classes) otherwise."""
        return self._outputs(X)

    def predict(self, X):
        """The predicted labels, from ``classes_``."""
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else np.argmax(scores, axis=1)
        return self.classes_[index]

    def _has_proba(self) -> bool:
        return self.loss is None or self.loss in PROBABILISTIC

    @available_if(_has_proba)
    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes): ``[1 - p, p]`` with
        ``p = sigmoid(logit)`` for two classes, ``softmax(logits)`` otherwise."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = expit(scores)
            return np.column_stack([1 - p, p])
        return softmax(scores, axis=1)

    @available_if(_has_proba)
    def predict_log_proba(self, X):
        """The logarithm of :meth:`predict_proba`, computed stably from the logits."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([log_expit(-scores), log_expit(scores)])
        return log_softmax(scores, axis=1)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all(a == b))
