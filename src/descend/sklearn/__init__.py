"""scikit-learn estimators trained by :func:`descend.fit`: :class:`DescendRegressor` and
:class:`DescendClassifier`.

They follow scikit-learn's estimator contract (``fit``/``partial_fit``/``predict``/``score``,
``get_params``/``set_params``, ``clone``, pipelines and grid searches) and pass
``sklearn.utils.estimator_checks.check_estimator``. The parameters mirror ``MLPRegressor``/
``MLPClassifier`` (and ``SGD*`` where those have none); any descend update rule and learning-rate
schedule can be chosen by name::

    from descend.sklearn import DescendClassifier
    clf = DescendClassifier("mlp", hidden_layer_sizes=(64,), optimizer="nadam",
                            learning_rate=1e-2, schedule="cosine", random_state=0).fit(X, y)
    clf.loss_curve_, clf.n_iter_, clf.stop_reason_

A run that diverges never passes silently: the estimator keeps the best finite parameters, sets
``stop_reason_ = "diverged"`` and issues a :class:`DivergenceWarning`; a run that reaches
``epochs`` without converging issues scikit-learn's ``ConvergenceWarning``. Training runs in
float32 (the data are cast); predictions are computed in float64 from the fitted parameters.

The defaults learn without tuning: ``standardize=True`` standardizes the features (and a
regressor's targets, undone by ``predict``), ``learning_rate="auto"`` is 0.01 for the linear
models and 1e-3 for MLPs, and ``batch_size="auto"`` takes at least ten steps an epoch, so that
``DescendRegressor().fit(X, y)`` and ``DescendClassifier().fit(X, y)`` score as
``SGDRegressor``/``LogisticRegression`` do (see the estimators' Notes).
"""

try:
    import sklearn  # noqa: F401  (absolute: the package scikit-learn, not this module)
except ImportError as err:  # pragma: no cover
    raise ImportError(
        "descend.sklearn needs scikit-learn: pip install descend[sklearn]  (or: pip install "
        "scikit-learn)"
    ) from err

from descend._public import listing
from descend.sklearn._base import OPTIMIZERS, SCHEDULES, DivergenceWarning
from descend.sklearn._classifier import DescendClassifier
from descend.sklearn._regressor import DescendRegressor

__all__ = ["OPTIMIZERS", "SCHEDULES", "DescendClassifier", "DescendRegressor", "DivergenceWarning"]
__dir__ = listing(__all__)
