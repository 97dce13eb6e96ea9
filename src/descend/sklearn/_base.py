"""What the two estimators share: parameters, their checks, and one training run through
:func:`descend.fit`.

Compilation: :func:`descend.fit` compiles the whole training once per (model object, loss
object, optimizer structure, static plan) and finds the program again when those repeat, so
models and schedules are built here through cached functions keyed on hashable arguments,
and losses are passed by name. Refitting the same estimator on data of the same shape (as
``GridSearchCV`` and ``cross_val_score`` do) then compiles nothing new; a new learning rate
or ``optimizer_params`` value is data, not structure, and compiles nothing new either.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any, ClassVar

import jax
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from descend import _validation as check
from descend.engine import StopReason
from descend.engine._fit import fit
from descend.optim import registry
from descend.problems import models
from descend.problems.data import _prepare
from descend.problems.data._prepare import AUTO_RATES, Standardizer, auto_batch
from descend.sklearn._schedules import SCHEDULES, learning_rate_schedule

#: The update rules ``optimizer`` may name: every rule of ``descend.optim.registry`` (each
#: takes the learning rate first).
OPTIMIZERS = {name: registry.get(name).constructor for name in registry.names()}


#: The fitted statistics of ``standardize`` (see ``DescendEstimator._scales``).
SCALE_ATTRIBUTES = ("feature_mean_", "feature_scale_", "target_mean_", "target_scale_")

#: Seeds are drawn in ``[0, SEED_LIMIT)`` (JAX's keys take 32-bit seeds).
SEED_LIMIT = 2**31 - 1


class DivergenceWarning(RuntimeWarning):
    """Training diverged: the loss or a parameter became non-finite, or the epoch loss grew
    more than ``1e4`` times its first value. The estimator keeps the parameters of the best
    epoch before that (the initial ones if it diverged in the first epoch)."""


@functools.lru_cache(maxsize=256)
def cached_model(kind: str, n_in: int, n_out: int, hidden: tuple, activation: str) -> Any:
    """One :class:`~descend.problems.models.Model` object per architecture, so that the
    compiled trainer is found again on the next fit."""
    if kind == "mlp":
        return models.mlp([n_in, *hidden, n_out], activation=activation)
    if kind == "linear":
        return models.linear(n_in, n_out)
    return models.logistic(n_in) if n_out == 1 else models.softmax(n_in, n_out)


@functools.lru_cache(maxsize=256)
def _predictor(model: Any) -> Any:
    """``model.apply`` as one compiled program per input shape (the eager call compiled each
    of its operations for each new shape: twice the time of a prediction on new data)."""
    return jax.jit(model.apply)


def _numpy(tree: Any) -> Any:
    """A pytree of JAX arrays as NumPy arrays (picklable, and not tied to a device)."""
    return jax.tree.map(np.asarray, tree)


def estimator_init(default_model: str) -> Callable[..., None]:
    """The estimators' ``__init__``, with ``model`` defaulting to ``default_model``.

    scikit-learn reads an estimator's parameters and defaults from its own ``__init__``
    signature and wants them stored unchanged; the two estimators differ only in the default
    model, so the signature is written once here and each class takes its own copy."""

    def __init__(  # noqa: N807 (it becomes the estimators' __init__)
        self,
        model=default_model,
        *,
        hidden_layer_sizes=(32,),
        activation="relu",
        loss=None,
        optimizer="adam",
        learning_rate="auto",
        optimizer_params=None,
        schedule="constant",
        power_t=0.5,
        batch_size="auto",
        epochs=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        alpha=0.0,
        l1=0.0,
        shuffle=True,
        standardize=True,
        random_state=None,
        warm_start=False,
        verbose=False,
    ):
        self.model = model
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.optimizer_params = optimizer_params
        self.schedule = schedule
        self.power_t = power_t
        self.batch_size = batch_size
        self.epochs = epochs
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.alpha = alpha
        self.l1 = l1
        self.shuffle = shuffle
        self.standardize = standardize
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    return __init__


class DescendEstimator(BaseEstimator):
    """Shared machinery of :class:`DescendRegressor` and :class:`DescendClassifier` (see their
    docstrings for the parameters)."""

    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(models.ACTIVATIONS))],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "optimizer_params": [dict, None],
        "schedule": [StrOptions(set(SCHEDULES))],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left"), None],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1": [Interval(Real, 0, None, closed="left")],
        "shuffle": ["boolean"],
        "standardize": ["boolean"],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    # Set by the subclasses.
    _task = ""

    # -- pieces built from the parameters ------------------------------------------------------

    def _hidden(self) -> tuple[int, ...]:
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes))
        message = (
            "hidden_layer_sizes must be an integer >= 1 or a non-empty sequence of them; "
            f"got {self.hidden_layer_sizes!r}"
        )
        if not np.issubdtype(sizes.dtype, np.integer):  # floats, bools, strings: TypeError
            raise TypeError(message)
        if sizes.ndim != 1 or sizes.size == 0 or np.any(sizes < 1):
            raise ValueError(message)
        return tuple(int(s) for s in sizes)

    def _rate(self) -> float:
        """The learning rate: ``learning_rate``, or for ``"auto"`` :data:`AUTO_RATES` of the
        model (SGD*'s ``eta0`` for the linear models, MLP*'s ``learning_rate_init`` for MLPs)."""
        if self.learning_rate == "auto":
            return AUTO_RATES[self.model]
        return float(self.learning_rate)

    def _batch(self, n: int) -> int:
        if self.batch_size is None:
            return n
        if self.batch_size == "auto":
            return auto_batch(n)
        if self.batch_size > n:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {n} samples; using {n} "
                "(one batch per epoch), as MLPClassifier does",
                UserWarning,
                stacklevel=5,
            )
        return min(int(self.batch_size), n)

    def _optimizer(self, total_steps: int) -> Any:
        rate = learning_rate_schedule(self.schedule, self._rate(), float(self.power_t), total_steps)
        extra = dict(self.optimizer_params or {})
        rule = OPTIMIZERS[self.optimizer]
        entry = registry.get(self.optimizer)
        accepted = [n for n in entry.hyperparameter_names() if n != "lr"]
        accepted += [o.name for o in entry.options]
        if "lr" in extra:
            raise ValueError(
                "optimizer_params must not hold 'lr': pass the learning rate as learning_rate "
                "(and its decay as schedule)"
            )
        unknown = sorted(set(extra) - set(accepted))
        if unknown:
            raise ValueError(
                f"optimizer_params has {', '.join(map(repr, unknown))}, which "
                f"optimizer={self.optimizer!r} does not take; it takes: {', '.join(accepted)}"
            )
        try:
            return rule(rate, **extra)
        except (TypeError, ValueError) as err:  # keep the type: wrong type or out of range
            raise (TypeError if isinstance(err, TypeError) else ValueError)(
                f"optimizer_params={self.optimizer_params!r} are not valid for "
                f"optimizer={self.optimizer!r}: {err}"
            ) from None

    def _seed(self) -> int:
        if isinstance(self.random_state, Integral):
            return int(self.random_state) % SEED_LIMIT
        return int(check_random_state(self.random_state).randint(SEED_LIMIT))

    # -- training --------------------------------------------------------------------------------

    def _weights(self, sample_weight: Any, X: np.ndarray) -> np.ndarray | None:
        """``sample_weight`` checked (one weight >= 0 a sample), or None without weights."""
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)

    def _scales(
        self, X: np.ndarray, y: np.ndarray, continuing: bool, weights: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """The statistics that map the data to the training scale: ``z = (x - mean) / scale``
        per feature and, for a regressor, ``t = (y - mean_y) / scale_y`` per target (a
        constant column gets scale 1), weighted by the sample weights when given. Kept from
        the previous fit when training continues; mean 0 and scale 1 (the identity) with
        ``standardize=False``."""
        if continuing:
            return {k: getattr(self, k) for k in SCALE_ATTRIBUTES if hasattr(self, k)}
        d = X.shape[1]
        out = {"feature_mean_": np.zeros(d), "feature_scale_": np.ones(d)}
        if self._task == "regression":
            k = 1 if y.ndim == 1 else y.shape[1]
            out |= {"target_mean_": np.zeros(k), "target_scale_": np.ones(k)}
        if self.standardize:
            features = Standardizer().fit(X, weights)
            out |= {"feature_mean_": features.mean, "feature_scale_": features.std}
            if self._task == "regression":
                targets = Standardizer().fit(y.reshape(len(y), -1), weights)
                out |= {"target_mean_": targets.mean, "target_scale_": targets.std}
        return out

    def _train(
        self,
        X: np.ndarray,
        y: np.ndarray,
        spec: tuple,
        loss: str,
        incremental: bool,
        sample_weight: Any = None,
    ):
        """Fit (or, with ``incremental``, one epoch of ``partial_fit``) on float64 ``X`` and
        the encoded targets ``y`` (float64 for a regressor, class codes for a classifier),
        standardized first (see :meth:`_scales`); ``spec`` is the ``cached_model`` key;
        ``sample_weight`` the user's weights (checked by :meth:`_weights`) or None. With early
        stopping the weights split with the samples; the validation score is unweighted."""
        weights = self._weights(sample_weight, X)
        model = cached_model(*spec)
        continuing = hasattr(self, "params_") and (incremental or self.warm_start)
        if continuing and self._spec != spec:
            raise ValueError(
                f"cannot continue training: the data now need the model {spec[:3]!r} (kind, "
                f"n_features, n_outputs) but the estimator was fitted with {self._spec[:3]!r}; "
                "call fit with warm_start=False to start again"
            )
        scales = self._scales(X, y, continuing, weights)
        X = ((X - scales["feature_mean_"]) / scales["feature_scale_"]).astype(np.float32)
        if self._task == "regression":
            centred = y.reshape(len(y), -1) - scales["target_mean_"]
            y = (centred / scales["target_scale_"]).reshape(y.shape).astype(np.float32)
        base_seed = self._base_seed if continuing else self._seed()
        done = self.n_iter_ if continuing else 0
        seed = (base_seed + done) % SEED_LIMIT  # new shuffles for each call that continues
        validation = None
        early = self.early_stopping and not incremental
        if early:
            stratify = y if self._task == "classification" else None
            arrays = (X, y) if weights is None else (X, y, weights)
            parts = train_test_split(
                *arrays, test_size=self.validation_fraction, random_state=seed, stratify=stratify
            )
            X, Xv, y, yv = parts[:4]
            weights = None if weights is None else parts[4]
            validation = (Xv, yv)
        n = X.shape[0]
        batch = self._batch(n)
        optimizer = self._optimizer(self.epochs * math.ceil(n / batch))
        params = opt_state = None
        if continuing:
            params, opt_state = self._resume if incremental else (self.params_, None)
        else:  # nothing above raised: forget the previous fit
            for name in ("loss_curve_", "validation_scores_", "best_validation_score_"):
                self.__dict__.pop(name, None)
            self._base_seed, self.n_iter_ = base_seed, 0
        self._spec = spec
        self.__dict__.update(scales)
        epochs = 1 if incremental else self.epochs
        result = fit(
            model,
            loss,
            (X, y),
            optimizer,
            batch_size=batch,
            epochs=epochs,
            seed=seed,
            shuffle=self.shuffle,
            sample_weight=weights,
            l1=float(self.l1),
            l2=float(self.alpha),
            tol=None if self.tol is None else float(self.tol),
            n_iter_no_change=self.n_iter_no_change,
            validation=validation,
            early_stopping=early,
            params=params,
            opt_state=opt_state,
            task=self._task,
            progress=bool(self.verbose),
        )
        self._record(result, continuing, early, incremental)
        return self

    def _record(self, result: Any, continuing: bool, early: bool, incremental: bool) -> None:
        curves = result.curves()
        reason = result.stop
        self.params_ = _numpy(result.params)
        if reason is StopReason.DIVERGED:  # the final parameters are not finite: restart from best
            self._resume = (self.params_, None)
        else:
            self._resume = (_numpy(result.final_params), _numpy(result.opt_state))
        before = self.loss_curve_ if continuing and hasattr(self, "loss_curve_") else []
        self.loss_curve_ = [*before, *curves["loss"].tolist()]
        self.n_iter_ += int(result.epochs)
        self.stop_reason_ = reason.short
        finite = [v for v in self.loss_curve_ if math.isfinite(v)]
        self.best_loss_ = min(finite) if finite and not early else None
        if early:
            self.validation_scores_ = curves["val_metric"].tolist()
            self.best_validation_score_ = float(np.nanmax(curves["val_metric"]))
        name = type(self).__name__
        if reason is StopReason.DIVERGED:
            start = self.n_iter_ - int(result.epochs)  # epochs run before this call
            best = int(result.best_epoch)
            kept = f"the parameters of epoch {start + best}" if best else "its starting parameters"
            warnings.warn(
                f"{name} diverged at epoch {self.n_iter_} (the loss became non-finite or "
                f"exploded); kept {kept}. learning_rate={self._rate()!r} is probably too "
                f"large for optimizer={self.optimizer!r}: try a smaller one.",
                DivergenceWarning,
                stacklevel=5,
            )
        elif reason is StopReason.MAX_EPOCHS and self.tol is not None and not incremental:
            warnings.warn(
                f"{name}: the maximum number of epochs ({self.epochs}) was reached and the "
                "optimization has not converged yet (the loss still falls by more than "
                f"tol={self.tol!r} every {self.n_iter_no_change} epochs); raise epochs or "
                "learning_rate.",
                ConvergenceWarning,
                stacklevel=5,
            )

    # -- outputs ---------------------------------------------------------------------------------

    def _outputs(self, X: Any) -> np.ndarray:
        """The model's raw outputs for ``X`` (standardized with the training statistics),
        computed in float64 (so that they do not depend on how the samples are batched)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        X = (X - self.feature_mean_) / self.feature_scale_
        predict = _predictor(cached_model(*self._spec))
        with jax.enable_x64(True):
            params = jax.tree.map(lambda a: check.as_jax(np.asarray(a, np.float64)), self.params_)
            parts = []
            for start in range(0, len(X), _prepare.ROWS_AT_ONCE):  # rows padded: see row_bucket
                rows = X[start : start + _prepare.ROWS_AT_ONCE]
                padded = check.as_jax(_prepare.padded_rows(rows))
                parts.append(np.asarray(predict(params, padded))[: len(rows)])
            return np.concatenate(parts)
