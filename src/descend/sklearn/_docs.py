"""The parameter documentation the two estimators share."""

from __future__ import annotations

PARAMETERS_DOC = """
    ``MLP*`` below is ``MLPRegressor``/``MLPClassifier`` and ``SGD*`` is
    ``SGDRegressor``/``SGDClassifier``: the scikit-learn parameter each one mirrors.

    Parameters
    ----------
{model}
    hidden_layer_sizes : int or tuple of int, default=(32,)
        Widths of the hidden layers of ``model="mlp"`` (ignored otherwise). Mirrors
        ``MLP*.hidden_layer_sizes`` (whose default is ``(100,)``).
    activation : {{"relu", "tanh", "sigmoid", "identity"}}, default="relu"
        Activation after each hidden layer of ``model="mlp"``; ``"sigmoid"`` is
        ``MLP*``'s ``"logistic"``. Weights start He-normal for relu, Glorot-uniform otherwise.
{loss}
    optimizer : {{"gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "amsgrad", \
"adamw", "nadam"}}, default="adam"
        The update rule, :func:`descend.adam` and so on. Mirrors ``MLP*.solver``
        (``"sgd"`` there is ``"momentum"``/``"nesterov"`` here).
    learning_rate : float > 0 or "auto", default="auto"
        The initial learning rate. ``"auto"`` is ``0.01`` for the linear models (``SGD*``'s
        ``eta0``) and ``1e-3`` for ``model="mlp"`` (``MLP*``'s ``learning_rate_init``); see
        Notes. Mirrors ``MLP*.learning_rate_init`` and ``SGD*.eta0``.
    optimizer_params : dict or None, default=None
        Further hyperparameters of the update rule, by the names of its constructor, e.g.
        ``{{"b1": 0.8}}`` for adam or ``{{"beta": 0.95, "form": "ema"}}`` for momentum
        (``MLP*.momentum``, ``beta_1``, ``beta_2`` and ``epsilon`` go here). Not ``"lr"``.
    schedule : {{"constant", "invscaling", "inverse_time", "cosine", "exponential", "step"}}, \
default="constant"
        How the learning rate changes with the update count ``t`` (0 first), with
        ``T = epochs * ceil(n_samples / batch_size)`` the planned updates: ``constant``
        ``lr``; ``invscaling`` ``lr / (t + 1)^power_t`` (``SGD*``'s ``"invscaling"``);
        ``inverse_time`` ``lr / (1 + 9 t / T)``; ``cosine`` ``lr (1 + cos(pi t / T)) / 2``;
        ``exponential`` ``lr 0.1^(t / T)``; ``step`` ``lr 0.1^floor(t / ceil(T / 3))``.
        Mirrors ``MLP*.learning_rate`` and ``SGD*.learning_rate``.
    power_t : float >= 0, default=0.5
        The exponent of ``schedule="invscaling"``. Mirrors ``MLP*.power_t``.
    batch_size : "auto", int >= 1 or None, default="auto"
        Samples per gradient step: ``"auto"`` is ``min(200, ceil(n_samples / 10))`` (at least
        1): at least ten steps an epoch on small data, ``MLP*``'s 200 on large data; see
        Notes. An int larger than ``n_samples`` is clipped to it (with a warning), ``None``
        takes one step per epoch on all samples (batch gradient descent). Mirrors
        ``MLP*.batch_size``.
    epochs : int >= 1, default=200
        The most passes over the data. Mirrors ``MLP*.max_iter`` (which also counts epochs).
    tol : float >= 0 or None, default=1e-4
        Stop when the monitored loss (the training loss, or the validation loss with
        ``early_stopping``) has not fallen below its best minus ``tol`` for
        ``n_iter_no_change`` epochs in a row. ``None`` always runs ``epochs`` epochs (and
        never warns). Mirrors ``MLP*.tol``; reaching ``epochs`` first issues a
        ``ConvergenceWarning``.
    n_iter_no_change : int >= 1, default=10
        See ``tol``. Mirrors ``MLP*.n_iter_no_change``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for a
        classifier), monitor the loss on it and keep the parameters of the best epoch.
        Mirrors ``MLP*.early_stopping`` (which monitors the score instead).
    validation_fraction : float in (0, 1), default=0.1
        The held-out share for ``early_stopping``. Mirrors ``MLP*.validation_fraction``.
    alpha : float >= 0, default=0.0
        L2 penalty: ``alpha / 2 * ||W||^2`` is added to the mean loss (weights only, not the
        biases). This is ``SGD*.alpha`` with ``penalty="l2"``; ``MLP*`` divides its
        ``alpha`` by the batch size, so ``MLP*.alpha = alpha * batch_size``.
    l1 : float >= 0, default=0.0
        L1 penalty: ``l1 * |W|_1`` is added to the mean loss (``SGD*.alpha * l1_ratio`` with
        ``penalty="elasticnet"``).
    shuffle : bool, default=True
        Shuffle the samples before each epoch. Mirrors ``MLP*.shuffle``.
    standardize : bool, default=True
        Train on standardized data: each feature ``z = (x - feature_mean_) /
        feature_scale_``{target_doc}, with the mean and the population standard deviation
        of the training data (scale 1 for a constant column), as ``StandardScaler`` would.
        Predictions apply the same map to new ``X`` and undo it on the outputs, so
        everything outside is in the units of the data. ``partial_fit`` and ``warm_start``
        keep the statistics of the first fit. ``False`` trains on the data as given.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling and the validation split. An int is
        used as :func:`descend.fit`'s ``seed`` (modulo ``2**31 - 1``); ``None`` draws a seed
        from NumPy's global random state (as scikit-learn does), a ``RandomState`` draws it
        from that state. Equal seeds give equal models. Mirrors ``MLP*.random_state``.
    warm_start : bool, default=False
        ``fit`` starts from the previous ``params_`` (with a fresh optimizer state, as
        ``MLP*``) instead of a new initialisation, and extends ``loss_curve_`` and
        ``n_iter_``. Mirrors ``MLP*.warm_start``.
    verbose : bool, default=False
        Show a progress bar of the epochs and the loss. Mirrors ``MLP*.verbose``.

    Attributes
    ----------
    params_ : pytree of numpy.ndarray
        The fitted parameters (those of the best epoch with ``early_stopping`` or after a
        divergence), as :func:`descend.fit` returns them; float32. With ``standardize``
        they act on the standardized features{params_doc}.
    feature_mean_, feature_scale_ : ndarray of shape (n_features,)
        The statistics of ``standardize`` (0 and 1 with ``standardize=False``).
    loss_curve_ : list of float
        The mean batch loss of each epoch run (penalties included). ``MLP*.loss_curve_``.
    n_iter_ : int
        Epochs run (over all ``partial_fit`` calls and warm starts). ``MLP*.n_iter_``.
    stop_reason_ : {{"converged", "max_epochs", "diverged"}}
        Why training stopped. ``"diverged"`` comes with a :class:`DivergenceWarning`.
    best_loss_ : float or None
        The smallest epoch loss (None with ``early_stopping``). ``MLP*.best_loss_``.
    validation_scores_ : list of float
        With ``early_stopping``: the score ({score}) on the held-out set after each epoch.
        ``MLP*.validation_scores_``; ``best_validation_score_`` is their maximum.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Names of the features seen in ``fit``, when ``X`` had string column names.
{attributes}
    Notes
    -----
    The defaults learn on data as it comes, the way ``SGD*`` and ``MLP*`` do on
    standardized data. ``standardize`` puts every feature (and a regression target) on unit
    scale, so that one learning rate suits every data set: a linear model's optimal weights
    are then of order 1, and Adam moves each weight by about ``learning_rate`` a step, so
    ``0.01`` (``SGD*``'s ``eta0``) reaches them in a few hundred steps and then stays within
    about 0.01 of them; an MLP's many weights move together, and ``1e-3`` (``MLP*``'s
    ``learning_rate_init``) learns without overfitting small data sets. The number of steps
    matters as much as the rate: ``MLP*``'s ``min(200, n)`` is one step an epoch on 200
    samples or fewer, and 200 steps of ``1e-3`` move a weight by at most 0.2 (scikit-learn's
    regression check scored R^2 = 0.32 so); ``min(200, ceil(n / 10))`` takes at least ten
    steps an epoch. Training stops as ``MLP*``'s does, when the epoch loss has not fallen
    by ``tol = 1e-4`` for ``n_iter_no_change = 10`` epochs; on standardized data the loss is
    in units of the target's variance (or in nats), so one ``tol`` fits every data set.
    ``epochs = 200`` is ``MLP*``'s ``max_iter``, a limit the linear models rarely reach.

    Training runs in float32: the standardized ``X`` (and a regressor's ``y``) are cast to
    float32 before :func:`descend.fit` compiles the whole training into one XLA program;
    predictions are computed from the fitted parameters in float64. The program is cached
    per architecture, loss, optimizer structure and data shape, so refitting on data of the
    same shape (cross-validation, a grid search over ``learning_rate`` or
    ``optimizer_params``) compiles nothing new; a ``schedule`` other than ``"constant"`` is
    compiled once per ``learning_rate``.
"""


def parameters_doc(
    model: str, loss: str, score: str, attributes: str = "", regression: bool = False
) -> str:
    """The shared documentation, with the estimator's own ``model`` and ``loss`` parameters,
    the name of its score and its own attributes; ``regression`` adds the standardization
    of the targets."""
    target_doc = params_doc = ""
    if regression:
        target_doc = " and each target ``t = (y - target_mean_) / target_scale_``"
        params_doc = " and give standardized targets"
    return PARAMETERS_DOC.format(
        model=model.strip("\n"),
        loss=loss.strip("\n"),
        score=score,
        attributes=attributes,
        target_doc=target_doc,
        params_doc=params_doc,
    )
