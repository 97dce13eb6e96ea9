"""`fit`: train a model on data by batch, stochastic or mini-batch gradient descent, the whole
training (every epoch, every step, the stop rules) compiled as one XLA program.

Each epoch shuffles the samples (from ``seed``) and takes ``steps = ceil(n / batch_size)``
steps (``floor`` with ``drop_last``); the step on batch ``B`` minimises

    L_B(theta) = sum_{i in B} w_i loss(model(theta, x_i), y_i) / sum_{i in B} w_i
                 + l2/2 ||W||^2 + l1 |W|_1

where ``W`` are the weights (leaves named ``"w"``; biases are not penalised) and ``w_i`` is the
sample's weight (``sample_weight``, 1 without it), or 0 for the padding of a last partial
batch: with full batches the weighted empirical risk, where a weight of 2 counts a sample
twice (as scikit-learn's ``sample_weight``). ``batch_size=None`` is batch gradient descent
(one step per epoch on all samples), ``1`` stochastic, ``k`` mini-batch.

Stop rules, checked after every epoch (scikit-learn's ``tol``/``n_iter_no_change``):
``diverged`` (a non-finite loss or parameter, or an epoch loss above ``divergence`` times
``max(L_first, 1)``), ``stalled`` (the monitored loss has not fallen below ``best - tol`` for
``n_iter_no_change`` epochs; the monitored loss is the validation loss with
``early_stopping``, else the training loss), ``max_epochs``. With early stopping the best
parameters on the validation set are restored.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from descend import _validation as check
from descend.engine import _progress as progress_bar
from descend.engine._batching import any_running, keep_if, write_row
from descend.engine._cores import untraced_here
from descend.engine._forward_only import forward_only
from descend.engine._reprs import (
    brief,
    read_on_the_host,
    readable,
    run_repr,
    shape_of,
    structure_repr,
)
from descend.engine._stop import Stopped, StopReason
from descend.optim._base import apply_updates, value_at
from descend.optim._combine import update_with_loss
from descend.optim._recipe import learning_rate_of, rebuild, split
from descend.problems import losses as loss_lib
from descend.problems import metrics

# the stop codes a training run ends with (one StopReason for fit and minimize alike)
RUNNING, MAX_EPOCHS, STALLED, DIVERGED = (
    StopReason.RUNNING,
    StopReason.MAX_EPOCHS,
    StopReason.STALLED,
    StopReason.DIVERGED,
)
_BITS_AT_ONCE = 1 << 22  # random words drawn before the loop: at most 16 MB
# the smallest table of them (1 MB, drawn in about a millisecond): every fit of at most 256
# epochs on at most 1,024 samples shares one compiled program that draws them
_BITS_ROWS, _BITS_COLUMNS = 256, 1024


@jax.tree_util.register_dataclass
@dataclass(frozen=True, repr=False)
class FitHistory:
    """Per-epoch records (``epochs`` rows, NaN after the last epoch run) and per-step batch
    losses (``epochs x steps_per_epoch``). ``loss`` is the mean batch loss of each epoch
    (scikit-learn's ``loss_curve_``); ``train_metric``/``val_metric`` are accuracy or R^2 on
    the whole training and validation sets after each epoch (``train_metric`` NaN with
    ``fit(..., evaluate=False)``); ``lr`` is the learning rate of the epoch's last step."""

    loss: jax.Array
    val_loss: jax.Array
    train_metric: jax.Array
    val_metric: jax.Array
    lr: jax.Array
    step_loss: jax.Array

    def trimmed(self, epochs: int) -> dict[str, np.ndarray]:
        """The first ``epochs`` rows as NumPy arrays; ``step_loss`` flattened. A batched
        history (from ``jax.vmap``) keeps its batch axes first and is cut along the epochs."""
        read_on_the_host("FitHistory.trimmed()", self)
        lead = np.ndim(self.loss) - 1  # the batch axes come before the epochs
        rows = (slice(None),) * lead + (slice(0, epochs),)
        cut = {k: np.asarray(getattr(self, k))[rows] for k in
               ("loss", "val_loss", "train_metric", "val_metric", "lr")}  # fmt: skip
        steps = np.asarray(self.step_loss)[rows]
        cut["step_loss"] = steps.reshape((*steps.shape[:lead], -1))
        return cut

    def __repr__(self) -> str:
        """The arrays' shapes, never their values (``curves()`` of the result gives those)."""
        return structure_repr(self)


@jax.tree_util.register_dataclass
@dataclass(frozen=True, repr=False)
class FitResult(Stopped):
    """What :func:`fit` returns.

    ``params`` are the parameters to use: with early stopping the best on the validation
    set; after a divergence the best on the training set (the loss of each epoch's final
    parameters, the start included); otherwise the final ones, also in ``final_params``.
    ``opt_state`` is the optimizer state after the last step (pass it back with
    ``fit(..., params=result.final_params, opt_state=result.opt_state)`` to continue).
    ``best_epoch`` is the epoch whose parameters are the best (0: the start); ``diverged_at``
    the epoch where divergence was detected (-1 if none); ``reason`` the stop code, a
    :class:`~descend.engine._stop.StopReason` (in words: :attr:`stop_reason`). Its repr is a
    summary (reason, epochs, losses, shapes), also of a batch of runs from ``jax.vmap``.
    """

    params: Any
    final_params: Any
    opt_state: Any
    reason: jax.Array
    epochs: jax.Array
    steps: jax.Array
    diverged_at: jax.Array
    best_epoch: jax.Array
    history: FitHistory

    @property
    def loss(self) -> jax.Array:
        """The training loss at the end: the mean batch loss of the last epoch run
        (``history.loss[epochs - 1]``, scikit-learn's ``loss_``; NaN when no epoch ran), one
        a run for a batch of runs."""
        last = jnp.asarray(self.epochs)[..., None] - 1
        final = jnp.take_along_axis(self.history.loss, jnp.maximum(last, 0), axis=-1)[..., 0]
        return jnp.where(last[..., 0] >= 0, final, jnp.nan)

    def curves(self) -> dict[str, np.ndarray]:
        """The history of the epochs run, as NumPy arrays. For a batch of runs (from
        ``jax.vmap``) each array has the batch axes first and runs as long as the longest
        run; the epochs after a shorter run stopped hold NaN."""
        read_on_the_host("FitResult.curves()", self)
        epochs = np.asarray(self.epochs)
        return self.history.trimmed(int(epochs.max(initial=0)))

    def __repr__(self) -> str:
        if not readable(self.reason, self.epochs, self.steps, self.history.loss):
            return structure_repr(self)  # no numbers to read (traced, eval_shape, shapes)
        numbers = {"epochs": self.epochs, "steps": self.steps, "loss": self.loss}
        return run_repr(self, self.reason, numbers, {"params": self.params})


class Plan(NamedTuple):
    """The static shape of a training run (a change compiles a new program)."""

    n: int
    batch: int
    steps: int
    epochs: int
    shuffle: bool
    has_val: bool
    early_stopping: bool
    n_iter_no_change: int
    task: str
    output: str
    progress: bool
    penalised: bool = True
    evaluate: bool = True


class _Loop(NamedTuple):
    """The per-run state of the loop over epochs (masked once the run stops); ``row`` and
    ``step_loss`` are the last epoch's history row and batch losses."""

    epoch: jax.Array
    params: Any
    state: Any
    best_params: Any
    best: jax.Array
    best_score: jax.Array
    best_epoch: jax.Array
    no_change: jax.Array
    first_loss: jax.Array
    reason: jax.Array
    row: jax.Array
    step_loss: jax.Array


def _penalty(params: Any, l1: jax.Array, l2: jax.Array) -> jax.Array:
    """``l2/2 ||W||^2 + l1 |W|_1`` over the weights: leaves under a key ``"w"`` (all leaves
    when the parameters have no such key)."""
    flat = jax.tree_util.tree_flatten_with_path(params)[0]
    named = [leaf for path, leaf in flat if any(getattr(k, "key", None) == "w" for k in path)]
    weights = named or [leaf for _, leaf in flat]
    return sum(0.5 * l2 * jnp.sum(w**2) + l1 * jnp.sum(jnp.abs(w)) for w in weights)


def _is_zero(value: Any) -> bool:
    """Whether ``value`` is a concrete zero, or an array of them (a traced value, e.g. under
    ``vmap``, is not)."""
    return not isinstance(value, jax.core.Tracer) and not np.any(np.asarray(value) != 0)


def _epoch_bits(key: jax.Array, epochs: int, n: int) -> jax.Array:
    """The random words ``bits(fold_in(key, e), (n,))`` of every epoch ``e``, as rows of an
    ``(epochs, n)`` array: one vectorised threefry call instead of one per epoch (the same
    values; about 13x cheaper for 100 epochs of 1,797 samples)."""
    return jax.vmap(lambda e: jax.random.bits(jax.random.fold_in(key, e), (n,)))(jnp.arange(epochs))


def _shuffle_key(seed: Any) -> jax.Array:
    """The key every epoch's order is drawn from (the initial parameters take the other
    half of ``split(key(seed))``)."""
    return jax.random.split(jax.random.key(seed))[1]


@functools.partial(jax.jit, static_argnums=(1, 2))
def _bits_table(seed: Any, epochs: int, n: int) -> jax.Array:
    return _epoch_bits(_shuffle_key(seed), epochs, n)


@functools.lru_cache(maxsize=8)
def _kept_bits_table(seed: int, epochs: int, n: int, config: tuple) -> jax.Array:
    """:func:`_bits_table`, kept for the next fit with the same seed and sizes (fits run
    again with one seed, as the default ``seed=0`` is, draw the smallest table, about a
    millisecond of a small fit's five, once)."""
    del config  # in the key only: the random bits' settings (and x64) it was drawn under
    return _bits_table(seed, epochs, n)


@jax.jit
def _init_key(seed: Any) -> jax.Array:
    """The key of the initial parameters (the other half of :func:`_shuffle_key`'s split),
    in one compiled call rather than three eager ones (0.19 ms of a small fit)."""
    return jax.random.split(jax.random.key(seed))[0]


def _shuffle_bits(seed: Any, epochs: int, n: int) -> jax.Array | None:
    """Every epoch's random words (:func:`_epoch_bits`), drawn by a program of their own
    before the training program. Threefry compiles to a large program (0.25-0.4 s of
    XLA:CPU's time, a third of a small fit's compilation); on its own, for a concrete seed,
    it draws a table of ``(E, N) >= (epochs, n)`` rounded up to powers of two (at least
    ``_BITS_ROWS x _BITS_COLUMNS``), compiled once a size of table rather than for every data
    size and number of epochs (a cross-validation's folds, scikit-learn's checks). Its
    top-left ``(epochs, n)`` corner is the table asked for: partitionable threefry draws
    ``bits(k, (N,))[:n] == bits(k, (n,))``. A traced seed (``vmap`` over seeds) gets the
    exact table, one a seed: rounded up, a thousand seeds would hold a GB. None when the
    table would exceed ``_BITS_AT_ONCE`` words: each epoch then draws its own."""
    if epochs * n > _BITS_AT_ONCE:
        return None
    if jax.config.jax_threefry_partitionable and check.is_concrete(seed):
        rounded = (max(1 << (epochs - 1).bit_length(), _BITS_ROWS),
                   max(1 << (n - 1).bit_length(), _BITS_COLUMNS))  # fmt: skip
        epochs, n = rounded if rounded[0] * rounded[1] <= _BITS_AT_ONCE else (epochs, n)
        if epochs * n <= _BITS_ROWS * _BITS_COLUMNS and untraced_here():
            # x64 too: a seed drawn as int64 gives other words than as int32
            config = (jax.config.jax_threefry_partitionable, str(jax.config.jax_default_prng_impl),
                      jax.config.jax_default_device, jax.config.jax_enable_x64)  # fmt: skip
            return _kept_bits_table(int(seed), epochs, n, config)
    return _bits_table(seed, epochs, n)


def _order(bits: jax.Array) -> jax.Array:
    """``argsort(bits)`` (stable: ties in ``bits`` keep index order), by two sorts of single
    32-bit words, which XLA:CPU sorts without a comparator call (about 2.7x faster than the
    two-operand sort of ``argsort``).

    With ``b`` bits per index (``n <= 2^b``, ``2b <= 32``), ``lo``/``hi`` the low ``b`` and high
    ``32 - b`` bits of each word: the first sort orders the samples by ``(lo, index)`` (keys
    ``lo << b | index``, all distinct), giving each its rank ``r``; the second orders them by
    ``(hi, r)`` (keys ``hi << b | r``), that is by ``(hi, lo, index) = (bits, index)``."""
    n = bits.shape[-1]
    b = max((n - 1).bit_length(), 1)
    if 2 * b > 32:
        return jnp.argsort(bits).astype(jnp.int32)
    low = jnp.uint32((1 << b) - 1)
    index = jnp.arange(n, dtype=jnp.uint32)
    by_low = jnp.sort(((bits & low) << b) | index) & low
    by_high = jnp.sort(((bits[by_low] >> b) << b) | index) & low
    return by_low[by_high].astype(jnp.int32)


def _metric(plan: Plan, outputs: jax.Array, y: jax.Array) -> jax.Array:
    if plan.task == "classification":
        return metrics.accuracy(outputs, y, plan.output)
    return metrics.r2(outputs, y)


@functools.lru_cache(maxsize=64)
def _trainer(model: Any, loss: Any, key: Any, plan: Plan) -> Callable[..., FitResult]:
    def penalty(params, l1, l2):
        # l1 = l2 = 0 given as numbers: the penalty and its gradient are exactly 0; skipped
        return _penalty(params, l1, l2) if plan.penalised else 0.0

    def batch_loss(params, X, y, w, l1, l2):
        values = loss(model.apply(params, X), y)
        total = jnp.sum(w)  # 0 only for a batch of padding (or of zero weights): its loss is 0
        return jnp.sum(w * values) / jnp.where(total > 0, total, 1) + penalty(params, l1, l2)

    def full_loss(params, X, y, l1, l2, w=None):
        w = jnp.ones(X.shape[0], X.dtype) if w is None else w
        return batch_loss(params, X, y, w, l1, l2)

    grad_fn = jax.value_and_grad(batch_loss)

    def fit_run(
        params, opt_state, seed, all_bits, X, y, sw, Xv, yv, leaves, l1, l2, tol, divergence,
        start_step,
    ):  # fmt: skip
        optimizer = rebuild(key, leaves)
        if opt_state is None:
            opt_state = optimizer.init(params)
        lr = learning_rate_of(optimizer)
        # the loop's losses, rows and metrics in the loss's own type: the data's type
        # promoted with the parameters' (float64 parameters on float32 data under x64, or
        # float32 parameters on float16 data), so every carried value keeps one type
        vt = jax.eval_shape(full_loss, params, X, y, l1, l2).dtype
        total = plan.steps * plan.batch
        mask = (jnp.arange(total) < plan.n).astype(X.dtype).reshape(plan.steps, plan.batch)

        def epoch(c: _Loop, shared: jax.Array) -> _Loop:
            # `shared` is this epoch's index, the same for every running run: the order drawn
            # from it (not from the per-run `c.epoch`) stays one order under vmap over
            # anything but the seed, so the batches are gathered once for all runs
            e, params, state = c.epoch, c.params, c.state
            if plan.shuffle:
                # argsort of random bits (jax.random.permutation makes several sorts)
                if all_bits is None:  # a large table: each epoch draws its words
                    key = jax.random.fold_in(_shuffle_key(seed), shared)
                    bits = jax.random.bits(key, (plan.n,))
                else:  # the epoch's row of the table drawn before (_shuffle_bits)
                    row = jax.lax.dynamic_index_in_dim(all_bits, shared, 0, keepdims=False)
                    bits = row[: plan.n]
                order = _order(bits)
            else:
                order = jnp.arange(plan.n)
            index = jnp.resize(order, (total,)).reshape(plan.steps, plan.batch)
            weights = mask if sw is None else mask * sw[index]

            def step(carry, batch):
                params, state = carry
                idx, w = batch
                value, g = grad_fn(params, X[idx], y[idx], w, l1, l2)
                updates, state = update_with_loss(optimizer, g, state, params, value)
                return (apply_updates(params, updates), state), value

            (params, state), values = jax.lax.scan(step, (params, state), (index, weights))
            sizes = weights.sum(axis=1)
            mean_loss = jnp.sum(values * sizes) / jnp.sum(sizes)
            if plan.has_val:
                val_loss = full_loss(params, Xv, yv, l1, l2)
                val_metric = _metric(plan, model.apply(params, Xv), yv)
            else:
                val_loss = val_metric = jnp.asarray(jnp.nan, vt)
            if plan.evaluate:
                outputs = model.apply(params, X)
                train_metric = _metric(plan, outputs, y)
                # the training loss of the parameters this epoch ends with (the mean batch
                # loss above is taken along the way, before the last steps)
                each = loss(outputs, y)
                mean = jnp.mean(each) if sw is None else jnp.sum(sw * each) / jnp.sum(sw)
                end_loss = mean + penalty(params, l1, l2)
            else:  # no pass over all samples: the mean batch loss stands in
                train_metric, end_loss = jnp.asarray(jnp.nan, vt), mean_loss
            finite = jnp.isfinite(jnp.sum(values) + end_loss) & jnp.isfinite(
                sum(jnp.sum(p) for p in jax.tree.leaves(params))
            )
            first = jnp.where(e == 0, mean_loss, c.first_loss)
            blown = mean_loss > divergence * jnp.maximum(jnp.abs(first), 1.0)
            monitored = val_loss if plan.early_stopping else mean_loss
            better = monitored < c.best - tol
            improved = monitored < c.best
            no_change = jnp.where(better, 0, c.no_change + 1)
            score = val_loss if plan.early_stopping else end_loss
            keep = (score < c.best_score) & finite
            best_params = jax.tree.map(lambda b, p: jnp.where(keep, p, b), c.best_params, params)
            e1 = e + 1
            if plan.progress:  # once per epoch, outside the tight loop over batches
                jax.debug.callback(progress_bar.report, e1, mean_loss)
            reason = jnp.where(e1 >= plan.epochs, MAX_EPOCHS, RUNNING)
            reason = jnp.where(no_change >= plan.n_iter_no_change, STALLED, reason)
            reason = jnp.where(finite & ~blown, reason, DIVERGED)
            last_lr = jnp.nan if lr is None else value_at(lr, start_step + e1 * plan.steps - 1)
            row = [mean_loss, val_loss, train_metric, val_metric, last_lr]
            row = jnp.stack([jnp.asarray(v, vt) for v in row])
            return c._replace(
                epoch=e1,
                params=params,
                state=state,
                best_params=best_params,
                best=jnp.where(improved, monitored, c.best).astype(vt),
                best_score=jnp.where(keep, score, c.best_score).astype(vt),
                best_epoch=jnp.where(keep, e1, c.best_epoch),
                no_change=no_change,
                first_loss=first.astype(vt),
                reason=reason.astype(jnp.int32),
                row=row,
                step_loss=values.astype(vt),
            )

        def body(c: tuple[jax.Array, _Loop, jax.Array, jax.Array]):
            # every running run is at epoch `loops`: the rows it writes share one index
            # (a slice update, also under vmap), and a stopped run keeps its state
            loops, run, rows, step_rows = c
            active = run.reason == RUNNING
            run = keep_if(active, epoch(run, loops), run)
            rows = write_row(rows, loops, active, run.row)
            step_rows = write_row(step_rows, loops, active, run.step_loss)
            return loops + 1, run, rows, step_rows

        nan = jnp.asarray(jnp.nan, vt)
        start = _Loop(
            epoch=jnp.zeros([], jnp.int32),
            params=params,
            state=opt_state,
            best_params=params,
            best=jnp.asarray(jnp.inf, vt),
            best_score=jnp.asarray(
                full_loss(params, Xv, yv, l1, l2)
                if plan.early_stopping
                else full_loss(params, X, y, l1, l2, sw),
                vt,
            ),
            best_epoch=jnp.zeros([], jnp.int32),
            no_change=jnp.zeros([], jnp.int32),
            first_loss=nan,
            reason=jnp.asarray(RUNNING, jnp.int32),
            row=jnp.full((5,), nan),
            step_loss=jnp.full((plan.steps,), nan),
        )
        rows0 = jnp.full((plan.epochs, 5), jnp.nan, vt)
        steps0 = jnp.full((plan.epochs, plan.steps), jnp.nan, vt)
        _, end, rows, step_rows = forward_only(
            jax.lax.while_loop(
                lambda c: any_running(c[1].reason == RUNNING),
                body,
                (start.epoch, start, rows0, steps0),
            ),
            "fit",
        )
        use_best = plan.early_stopping | (end.reason == DIVERGED)
        chosen = jax.tree.map(lambda b, p: jnp.where(use_best, b, p), end.best_params, end.params)
        return FitResult(
            params=chosen,
            final_params=end.params,
            opt_state=end.state,
            reason=end.reason,
            epochs=end.epoch,
            steps=end.epoch * plan.steps,
            diverged_at=jnp.where(end.reason == DIVERGED, end.epoch, -1),
            best_epoch=end.best_epoch,
            history=FitHistory(
                loss=rows[:, 0],
                val_loss=rows[:, 1],
                train_metric=rows[:, 2],
                val_metric=rows[:, 3],
                lr=rows[:, 4],
                step_loss=step_rows,
            ),
        )

    return jax.jit(fit_run)


#: Copies of the parameters a run holds at once: the parameters, the best ones, the gradient,
#: the update and two moments of an adaptive rule's state.
PARAMETER_COPIES = 6


def check_model(model: Any) -> None:
    """A ``TypeError`` unless ``model`` has the two functions of a Model: ``init(key)`` and
    ``apply(params, X)``."""
    if not (callable(getattr(model, "init", None)) and callable(getattr(model, "apply", None))):
        raise TypeError(
            "model must be a Model with init(key) and apply(params, X), such as "
            f"descend.models.mlp([4, 16, 1]); got {check.shown(model)} ({type(model).__name__})"
        )


def check_like(name: str, tree: Any, like: Any, made_by: str) -> Any:
    """``tree`` as arrays when it has the structure and the leaf shapes of ``like`` (the
    shapes ``made_by`` gives, from ``jax.eval_shape``); a ``ValueError`` naming ``name`` and
    both structures otherwise (a ``TypeError`` for leaves that are not numbers)."""
    want = jax.tree.structure(like)
    expected = f"{name} must be what {made_by} gives ({type(like).__name__}: {shape_of(like)})"
    if jax.tree.structure(tree) != want:
        raise ValueError(f"{expected}; got {brief(tree)}")
    leaves = [check.real_array(name, a, floating=False) for a in jax.tree.leaves(tree)]
    if [jnp.shape(a) for a in leaves] != [b.shape for b in jax.tree.leaves(like)]:
        raise ValueError(f"{expected}; got {shape_of(leaves)}")
    return jax.tree.unflatten(want, leaves)


def _shapes(fn: Callable[..., Any], *args: Any) -> Any:
    """``jax.eval_shape(fn, *args)``, kept by ``fn`` and the arguments' shapes and dtypes
    (a model's init and apply are traced once, not on every fit: 0.2 ms each); a function
    that cannot be hashed is traced every time."""
    leaves, tree = jax.tree.flatten(args)
    if not all(isinstance(a, jax.Array) for a in leaves):
        return jax.eval_shape(fn, *args)
    avals = tuple((a.shape, a.dtype, getattr(a, "weak_type", False)) for a in leaves)
    # x64 too: a model's init makes float64 parameters under it from the same key
    return check.cached_call(_kept_shapes, fn, tree, avals, jax.config.jax_enable_x64)


@functools.lru_cache(maxsize=256)
def _kept_shapes(fn: Callable[..., Any], tree: Any, avals: tuple, x64: bool) -> Any:
    del x64  # in the key only
    specs = [jax.ShapeDtypeStruct(s, d, weak_type=w) for s, d, w in avals]
    return jax.eval_shape(fn, *jax.tree.unflatten(tree, specs))


def check_model_fits(model: Any, key: Any, runs: int = 1) -> int:
    """Refuse (``ValueError``), before anything is allocated, a model whose parameters would
    not fit in memory ``runs`` times over, in the copies a run holds; return their count.
    ``mlp([64, 10**8, 10])`` used to end in XLA's RESOURCE_EXHAUSTED after asking for 51 GB."""
    shapes = _shapes(model.init, key)
    leaves = jax.tree.leaves(shapes)
    size = sum(math.prod(a.shape) for a in leaves)
    itemsize = max((a.dtype.itemsize for a in leaves), default=4)
    check.fits_in_memory(
        f"a model of {size:,} parameters" + (f", {runs:,} times over" if runs > 1 else ""),
        runs * PARAMETER_COPIES * itemsize * size,
        "use a smaller model (fewer or narrower hidden layers)",
    )
    return size


def _check_targets(model: Any, loss: Any, params: Any, X: Any, y: Any, name: str) -> None:
    """Trace the loss once (``jax.eval_shape``) on every distinct concrete target and
    predictions of the model's output shape, so that its checks of the targets (labels
    whole and in range, the shape) run before compiling: inside the compiled run the targets
    are traced, and a label of 0.5 would be truncated to 0 without a word."""
    if not (check.is_concrete(y) and check.is_concrete(X)):
        return  # traced data (vmap over data sets): the caller's
    out = _shapes(model.apply, params, X)  # shapes only: its message names X's
    targets = np.unique(np.asarray(y), axis=0)
    distinct = len(targets)
    outputs = (out.shape[1:], out.dtype)
    if targets.nbytes <= _TARGETS_KEPT:  # kept: a trace of the loss
        problem = check.cached_call(_kept_target_problem, loss, outputs, distinct,
                                    targets.tobytes(), targets.shape, targets.dtype)  # fmt: skip
    else:
        problem = _target_problem(loss, outputs, distinct, targets)
    if problem is not None:
        raise ValueError(f"{name}: {problem}")


#: The largest targets (in bytes, after np.unique) whose verdict is kept.
_TARGETS_KEPT = 1 << 16


@functools.lru_cache(maxsize=256)
def _kept_target_problem(
    loss: Any, outputs: tuple, distinct: int, data: bytes, shape: tuple, dtype: Any
) -> str | None:
    targets = np.frombuffer(data, dtype).reshape(shape)
    return _target_problem(loss, outputs, distinct, targets)


def _target_problem(loss: Any, outputs: tuple, distinct: int, targets: np.ndarray) -> str | None:
    """What is wrong with ``targets`` (every distinct one) for ``loss`` on model outputs of
    ``outputs = (shape of a sample's output, dtype)``, in words; None when nothing is."""
    tail, dtype = outputs
    # traced, not run: the loss's own checks read the NumPy targets (losses.given_values)
    # and nothing is compiled (its eager operations took 0.4 s of a process's first fit)
    outputs_spec = jax.ShapeDtypeStruct((len(targets), *tail), dtype)
    try:
        values = jax.eval_shape(lambda out: loss(out, targets), outputs_spec)
    except (ValueError, TypeError) as err:
        return str(err)
    if jnp.shape(values) != (len(targets),):
        # softmax cross-entropy on a model of one output reads the whole batch as the
        # logits of one sample: a number, not one loss a sample
        return (
            f"the loss {getattr(loss, 'name', '')!r} gives shape {jnp.shape(values)} "
            f"for {distinct} targets and model outputs of shape {tail}, not one "
            "value a sample; a classification loss needs a model with one output a class"
        )
    return None


@functools.lru_cache(maxsize=64)
def _named_loss(name: str) -> Any:
    """One Loss object per name, so that the compiled trainer is found again."""
    return loss_lib.get(name)


def _arrays(data: Any, name: str) -> tuple[jax.Array, jax.Array, str | None]:
    if hasattr(data, "X") and hasattr(data, "y"):
        X, y, task = data.X, data.y, getattr(data, "task", None)
    elif isinstance(data, Sequence) and len(data) == 2:
        (X, y), task = data, None
    else:
        raise TypeError(f"{name} must be a Dataset or a pair (X, y); got {type(data).__name__}")
    X = check.real_array(f"{name}: X", X)
    y = check.real_array(f"{name}: y", y, floating=False)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or y.shape[:1] != X.shape[:1]:
        raise ValueError(
            f"{name}: X must be (n_samples, n_features) and y (n_samples,); got X {X.shape}, "
            f"y {y.shape}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name} has no samples")
    check.finite_data(f"{name}: X", X)
    check.finite_data(f"{name}: y", y)
    return X, y, task


def _sample_weights(weights: Any, n: int, dtype: Any) -> jax.Array:
    """``sample_weight`` as an ``(n,)`` array of the data's type: real, finite, >= 0 and not
    all 0, checked in float64 when concrete (a traced array, under ``vmap``, is taken as it
    is). Only their ratios count (every loss is a weighted mean), so weights that the data's
    type cannot hold (``1e300``, ``1e-300`` in float32) are divided by the largest."""
    w = check.real_array("sample_weight", weights)
    if check.is_concrete(w):  # read again in float64: the float32 copy holds 1e300 as inf
        w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0]
    if w.shape != (n,):
        raise ValueError(
            f"sample_weight must hold one weight a sample, shape ({n},); got shape {w.shape}"
        )
    if isinstance(w, np.ndarray):
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            bad = w[~(np.isfinite(w) & (w >= 0))][:3].tolist()
            raise ValueError(f"sample_weight must be finite and >= 0; got {check.shown(bad)}")
        top = float(np.max(w))
        if top == 0:
            raise ValueError("sample_weight must not be all 0: no sample would count")
        if not 1e-30 <= top <= 1e30:
            w = w / top
    return jnp.asarray(w, dtype)


def fit(
    model: Any,
    loss: Any,
    data: Any,
    optimizer: Any,
    *,
    batch_size: int | None = None,
    epochs: int = 100,
    seed: Any = 0,
    shuffle: bool = True,
    drop_last: bool = False,
    sample_weight: Any = None,
    l1: float = 0.0,
    l2: float = 0.0,
    tol: float | None = None,
    n_iter_no_change: int = 10,
    validation: Any = None,
    early_stopping: bool = False,
    divergence: float = 1e4,
    params: Any = None,
    opt_state: Any = None,
    start_step: int = 0,
    evaluate: bool = True,
    task: str | None = None,
    progress: Any = False,
) -> FitResult:
    """Train ``model`` on ``data`` with ``optimizer`` (see the module docstring for the math).

    Args:
        model: a ``Model(init, apply)`` (:mod:`descend.problems.models`).
        loss: a loss name, a ``Loss`` or a function ``(pred, target) -> per-sample values``.
        data: a ``Dataset`` or a pair ``(X, y)``.
        optimizer: any Transform; its numeric hyperparameters are data (vmap over them).
        batch_size: None for batch, 1 for stochastic, k for mini-batch gradient descent.
        epochs: the most passes over the data. seed: shuffling and initialisation (an int
            or a traced integer, so ``jax.vmap`` over seeds works).
        drop_last: drop the last partial batch instead of keeping it (masked).
        sample_weight: one weight >= 0 a training sample (not all 0), or None for 1 each:
            each batch's loss is its samples' weighted mean, and the epoch's loss and the
            stop rules weigh the samples alike (with full batches, a weight of 2 counts a
            sample twice). The validation set and the metrics are not weighted.
        l1, l2: penalties on the weights. tol, n_iter_no_change: stop when the monitored loss
            has not fallen by ``tol`` for that many epochs (``tol=None`` disables it).
        validation: a Dataset or (X, y) to evaluate after each epoch.
        early_stopping: monitor the validation loss and restore the best parameters.
        params: initial parameters (default ``model.init`` from ``seed``).
        opt_state: the optimizer state to start from (default ``optimizer.init(params)``);
            with ``params`` this continues an earlier run, as ``partial_fit`` does.
        start_step: steps already taken by that earlier run (only the recorded learning-rate
            curve uses it: the optimizer's own count lives in ``opt_state``).
        evaluate: after each epoch, run the model on all training samples with the epoch's
            final parameters, for ``history.train_metric`` (and, on divergence, the choice of
            the best parameters). ``False`` skips that pass, one forward pass over the data
            an epoch (about a third of an epoch's work, as Keras and PyTorch loops skip it):
            ``train_metric`` is NaN and the epoch's mean batch loss stands in for the end
            loss. The validation set, when given, is evaluated either way.
        task: "classification" or "regression" for the metric (default: from the data or
            the loss).
        progress: show a progress bar (epochs, loss): True for standard error, or a stream.
    """
    check.in_order("fit", model=model, loss=loss, data=data, optimizer=optimizer)
    check_model(model)
    X, y, data_task = _arrays(data, "data")
    check.transform(optimizer, gradient_steps=False)
    epochs = check.positive_int("epochs", epochs)
    n_iter_no_change = check.positive_int("n_iter_no_change", n_iter_no_change)
    shuffle = check.boolean("shuffle", shuffle)
    drop_last = check.boolean("drop_last", drop_last)
    early_stopping = check.boolean("early_stopping", early_stopping)
    progress = check.progress(progress)
    n = int(X.shape[0])
    sw = None if sample_weight is None else _sample_weights(sample_weight, n, X.dtype)
    if batch_size is None:
        batch = n
    else:
        batch = check.positive_int("batch_size", batch_size)
        if batch > n:
            raise ValueError(f"batch_size must be at most the {n} samples; got {batch_size}")
    steps = n // batch if drop_last else math.ceil(n / batch)
    if check.is_concrete(start_step):
        start_step = check.integer("start_step", start_step, 0)
    done = start_step if check.is_concrete(start_step) else 0
    check.int32("start_step + epochs x steps per epoch", done + epochs * steps)
    check.fits_in_memory(f"the history of {epochs:,} epochs of {steps:,} steps",
                         epochs * (steps + 5) * X.dtype.itemsize, "use fewer epochs")  # fmt: skip
    seed = check.seed("seed", seed)
    l1 = check.real("l1", l1, 0.0)
    l2 = check.real("l2", l2, 0.0)
    tol = None if tol is None else check.real("tol", tol, 0.0)
    divergence = check.real("divergence", divergence, 0.0, open_low=True)
    loss_fn = _named_loss(loss) if isinstance(loss, str) else loss_lib.get(loss)
    if validation is None:
        if early_stopping:
            raise ValueError("early_stopping needs validation data: pass validation=(X, y)")
        Xv = yv = None  # never read: the plan says there is no validation set
    else:
        Xv, yv, _ = _arrays(validation, "validation")
    task = task or data_task or (
        "regression" if getattr(loss_fn, "task", "regression") == "regression" else "classification"
    )  # fmt: skip
    check.choice("task", task, ("classification", "regression"))
    plan = Plan(
        n=n,
        batch=batch,
        steps=steps,
        epochs=epochs,
        shuffle=shuffle,
        has_val=validation is not None,
        early_stopping=early_stopping,
        n_iter_no_change=n_iter_no_change,
        task=task,
        output=getattr(model, "output", "raw"),
        progress=bool(progress),
        penalised=not (_is_zero(l1) and _is_zero(l2)),
        evaluate=check.boolean("evaluate", evaluate),
    )
    opt_key, leaves = split(optimizer)
    # a model or loss that cannot be hashed (a dataclass with eq) is compiled for each call
    run = check.cached_call(_trainer, model, loss_fn, opt_key, plan)
    key = _init_key(seed)
    if params is None:
        check_model_fits(model, key)
        params = model.init(key)
    else:
        params = check_like("params", params, _shapes(model.init, key), "model.init(key)")
    if opt_state is not None:
        state = jax.eval_shape(optimizer.init, params)
        opt_state = check_like("opt_state", opt_state, state, "optimizer.init(params)")
    _check_targets(model, loss_fn, params, X, y, "data")
    if validation is not None:
        _check_targets(model, loss_fn, params, Xv, yv, "validation")
    tol_value = -jnp.inf if tol is None else tol
    stream = progress if hasattr(progress, "write") else None
    bits = _shuffle_bits(seed, epochs, n) if plan.shuffle else None
    with progress_bar.active(epochs, enabled=bool(progress), stream=stream, unit="epoch"):
        result = run(
            params, opt_state, seed, bits, X, y, sw, Xv, yv, leaves, l1, l2, tol_value,
            divergence, start_step,
        )  # fmt: skip
        if progress:
            result = jax.block_until_ready(result)
    return result
