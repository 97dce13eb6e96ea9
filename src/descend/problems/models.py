"""Models: a pure ``init`` that turns a PRNG key into parameters and a pure ``apply``.

A :class:`Model` is two functions, the way Flax and Haiku split a network::

    params = model.init(jax.random.key(0))   # a pytree of float32 arrays
    out = model.apply(params, X)             # X of shape (n, n_inputs)

Both are written in ``jax.numpy`` only, so they work under ``jit``, ``vmap`` (over keys, over
parameters or over batches of inputs) and ``grad``. The only randomness is the key given to
``init``: equal keys give equal parameters. Parameters are float32 unless 64-bit floats are
enabled (``jax.enable_x64``), in which case they are float64.

``apply`` returns raw scores (logits) except for :func:`sigmoid_neuron`, which returns
probabilities; the field ``output`` says which, so that a loss knows whether to apply the
sigmoid or softmax itself (which is the numerically stable way: ``log sigmoid(z)`` is computed
from ``z``, never from a rounded probability).

Activations (``ACTIVATIONS``)::

    sigmoid(z)  = 1 / (1 + exp(-z))
    tanh(z)     = (exp(z) - exp(-z)) / (exp(z) + exp(-z))
    relu(z)     = max(0, z)
    identity(z) = z

Weight initialisations (``INITS``) for a layer with ``fan_in`` inputs and ``fan_out`` outputs;
biases always start at 0:

- ``"xavier"``: Glorot uniform, ``W ~ U(-a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))``, so
  ``Var W = 2 / (fan_in + fan_out)`` (Glorot and Bengio, 2010, eq. 16; Keras'
  ``glorot_uniform``, PyTorch's ``xavier_uniform_``);
- ``"he"``: He normal, ``W ~ N(0, 2 / fan_in)`` untruncated (He et al., 2015, "Delving Deep into
  Rectifiers"; PyTorch's ``kaiming_normal_`` with ``fan_in`` and ``relu`` gain; Keras'
  ``he_normal`` truncates the normal instead);
- ``"normal"``: ``W ~ N(0, 0.01^2)``, the "small random numbers" of CS231n;
- ``"zeros"``: ``W = 0``. Fine for a convex model (linear, logistic, softmax); in an MLP every
  hidden unit then stays identical (and with relu the gradients are zero), which is the
  symmetry that random initialisation exists to break.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from descend import _validation as check
from descend._public import listing

PyTree = Any

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
    "identity": lambda z: z,
}

#: Standard deviation of the ``"normal"`` initialisation.
NORMAL_INIT_STD = 0.01

#: Standard deviation of the normal that :func:`sigmoid_neuron` draws ``w`` and ``b`` from.
SIGMOID_NEURON_INIT_STD = 0.1

#: The weight initialisations by name, each with its formula (sources in the module docstring).
INITS: dict[str, str] = {
    "xavier": "W ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out))",
    "he": "W ~ N(0, 2 / fan_in)",
    "normal": f"W ~ N(0, {NORMAL_INIT_STD}^2)",
    "zeros": "W = 0",
}


def _key(key: Any) -> jax.Array:
    """A PRNG key: ``key`` itself, or ``jax.random.key(key)`` for an integer seed (as
    ``fit(..., seed=0)`` takes); anything else is a ``TypeError`` saying what is allowed."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return jax.random.key(check.nonnegative_int("seed", key))
    if hasattr(key, "dtype") and jnp.ndim(key) == 0 and jnp.issubdtype(key.dtype, jnp.integer):
        return jax.random.key(key)  # a seed as an array (traced under jax.vmap over seeds)
    if isinstance(key, jax.Array) or hasattr(key, "dtype"):
        return key
    raise TypeError(
        f"init takes a PRNG key (jax.random.key(0)) or an integer seed; got {key!r:.60}"
    )


def _init_weights(
    init: str, key: jax.Array, shapes: Sequence[tuple[int, ...]], dtype: Any
) -> list[jax.Array]:
    """Weights of the given shapes (``(fan_in,)`` or ``(fan_in, fan_out)``) by ``INITS[init]``
    (``key``: a PRNG key or an integer seed).

    All the layers' numbers come from one draw of ``U(-1, 1)`` or ``N(0, 1)`` from ``key``, cut
    into the layers in order and scaled per layer: one random-number call instead of one per
    layer, which makes a first (compiling) call of ``init`` several times faster.
    """
    if init == "zeros":
        return [jnp.zeros(shape, dtype) for shape in shapes]
    sizes = [math.prod(shape) for shape in shapes]
    key = _key(key)
    if init == "xavier":
        flat = jax.random.uniform(key, (sum(sizes),), dtype, minval=-1.0, maxval=1.0)
    else:
        flat = jax.random.normal(key, (sum(sizes),), dtype)
    out, offset = [], 0
    for shape, size in zip(shapes, sizes, strict=True):
        fan_in, fan_out = shape[0], (shape[1] if len(shape) > 1 else 1)
        if init == "xavier":
            scale = math.sqrt(6.0 / (fan_in + fan_out))
        elif init == "he":
            scale = math.sqrt(2.0 / fan_in)
        else:
            scale = NORMAL_INIT_STD
        out.append(scale * flat[offset : offset + size].reshape(shape))
        offset += size
    return out


class Model(NamedTuple):
    """A model as two pure functions and a few facts about it.

    ``init(key) -> params`` builds the parameters (a pytree of arrays) from a PRNG key
    (``jax.random.key`` or ``jax.random.PRNGKey``); ``apply(params, X) -> outputs`` maps a batch
    of inputs to outputs. ``n_inputs`` is the number of input features (``None`` when any
    number would do), ``n_outputs`` the number of outputs per sample, and ``output`` what
    ``apply`` returns: ``"raw"`` scores or logits (the loss applies sigmoid or softmax) or
    ``"probability"`` (a sigmoid was applied already).
    """

    init: Callable[[jax.Array], PyTree]
    apply: Callable[[PyTree, jax.Array], jax.Array]
    name: str = ""
    n_inputs: int | None = None
    n_outputs: int = 1
    output: str = "raw"

    def __repr__(self) -> str:
        """The facts, not the two functions."""
        return (
            f"Model(name={self.name!r}, n_inputs={self.n_inputs}, n_outputs={self.n_outputs}, "
            f"output={self.output!r})"
        )


# ---------------------------------------------------------------------------------------------
# Helpers


def _named_params(name: str, init: Callable, apply: Callable) -> Callable:
    """``apply`` that names the parameters it was given when they are not what ``init`` gives
    (a fit's result instead of ``result.params``, another model's, None): ``params["w"]`` on
    them raised a bare ``KeyError: 'w'`` or "object is not subscriptable". Only a failing
    call looks at the structure, so a working one costs nothing."""

    def problem(params: PyTree) -> TypeError | None:
        want = jax.eval_shape(init, jax.random.key(0))
        if jax.tree.structure(params) == jax.tree.structure(want):
            return None  # the parameters are fine: the error is the inputs'
        hint = ": pass result.params" if hasattr(params, "params") else ""
        return TypeError(
            f"{name}.apply(params, X): params must be what {name}.init(key) gives, "
            f"{jax.tree.structure(want)}; got a {type(params).__name__}{hint}"
        )

    def checked(params: PyTree, X: jax.Array) -> jax.Array:
        with check.explained(lambda: problem(params)):
            return apply(params, X)

    return checked


def _dtype() -> Any:
    """The default float dtype now: float32, or float64 under ``jax.enable_x64``."""
    return jnp.result_type(float)


def _matmul(a: jax.Array, b: jax.Array) -> jax.Array:
    """``a @ b`` in the full precision of the inputs' dtype on every backend.

    JAX's default precision lets an NVIDIA GPU multiply float32 matrices in TF32 (10 mantissa
    bits, relative error about 1e-3), where PyTorch, NumPy and XLA on the CPU keep float32's
    24. descend's models are compared digit for digit with those libraries, so they ask for
    ``Precision.HIGHEST``; on the CPU that is what XLA does anyway (the same program, the same
    bits)."""
    return jnp.matmul(a, b, precision=jax.lax.Precision.HIGHEST)


def _features(where: str, X: Any, n_inputs: int) -> jax.Array:
    """``X`` as an array of shape ``(n, n_inputs)``, or a ValueError naming its shape."""
    X = jnp.asarray(X)
    if X.ndim != 2 or X.shape[1] != n_inputs:
        raise ValueError(
            f"{where}: X must have shape (n_samples, {n_inputs}); got shape {tuple(X.shape)}"
        )
    return X


# ---------------------------------------------------------------------------------------------
# The models


def sigmoid_neuron(start: tuple[float, float] | None = None) -> Model:
    """The single neuron of the teaching texts: ``p = sigma(w x + b)``, ``sigma(z) = 1/(1+e^-z)``.

    ``params = {"w": scalar, "b": scalar}``; ``apply(params, X)`` takes ``X`` of shape ``(n,)``
    or ``(n, 1)`` and returns the probabilities ``sigma(w x_i + b)``, shape ``(n,)``
    (``output="probability"``). Its squared error on
    :func:`descend.problems.data.sigmoid_neuron_data` is the ``sigmoid_neuron`` surface.

    ``init(key)`` draws ``w`` and ``b`` independently from ``N(0, 0.1^2)``. The texts instead set
    the start by hand (the ``sigmoid_neuron`` surface starts at ``w = b = -2``, deep in the flat
    tail of the sigmoid, to show the plateau): pass ``start=(w0, b0)`` and ``init`` returns those
    values whatever the key, or build ``{"w": jnp.float32(w0), "b": jnp.float32(b0)}`` yourself.
    """
    if start is not None:
        message = f"sigmoid_neuron: start must be a pair of numbers (w, b); got {start!r}"
        try:
            pair = tuple(start)
        except TypeError:  # not a sequence
            raise TypeError(message) from None
        if len(pair) != 2:
            raise ValueError(message)
        try:
            w0, b0 = (check.real("sigmoid_neuron: start", v) for v in pair)
        except TypeError:  # not numbers
            raise TypeError(message) from None
        except ValueError:  # NaN or inf
            raise ValueError(f"sigmoid_neuron: start must be finite; got {start!r}") from None

    def init(key: jax.Array) -> dict[str, jax.Array]:
        dtype = _dtype()
        if start is not None:
            return {"w": jnp.asarray(w0, dtype), "b": jnp.asarray(b0, dtype)}
        w, b = SIGMOID_NEURON_INIT_STD * jax.random.normal(_key(key), (2,), dtype)
        return {"w": w, "b": b}

    def apply(params: dict[str, jax.Array], X: jax.Array) -> jax.Array:
        X = jnp.asarray(X)
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        elif X.ndim != 1:
            raise ValueError(
                f"sigmoid_neuron: X must have shape (n,) or (n, 1); got shape {tuple(X.shape)}"
            )
        return jax.nn.sigmoid(params["w"] * X + params["b"])

    apply = _named_params("sigmoid_neuron", init, apply)
    return Model(init, apply, name="sigmoid_neuron", n_inputs=1, output="probability")


def linear(n_inputs: int, n_outputs: int = 1, *, init: str = "zeros") -> Model:
    """The affine map ``f(X) = X W + b``.

    ``params = {"w": (n_inputs,), "b": ()}`` for one output, when ``apply`` returns shape
    ``(n,)``; ``params = {"w": (n_inputs, n_outputs), "b": (n_outputs,)}`` otherwise, when
    ``apply`` returns ``(n, n_outputs)``. ``X`` has shape ``(n, n_inputs)``.

    ``init`` names the weight initialisation (see the module docstring); the default is
    ``"zeros"``, the usual start for a convex model (its loss has a single minimum, so nothing
    needs breaking; ``init(key)`` then ignores the key). The bias starts at 0.
    """
    return _affine("linear", n_inputs, n_outputs, init)


def logistic(n_inputs: int, *, init: str = "zeros") -> Model:
    """Logistic regression: ``apply`` returns the logit ``z = X w + b``, shape ``(n,)``.

    ``P(y = 1 | x) = sigmoid(z)``, but the model returns ``z`` itself (``output="raw"``): the
    binary cross-entropy loss applies the sigmoid, as ``log sigmoid(z)`` computed stably from
    ``z``. Parameters and ``init`` are those of ``linear(n_inputs, 1)``.
    """
    return _affine("logistic", n_inputs, 1, init)


def softmax(n_inputs: int, n_classes: int, *, init: str = "zeros") -> Model:
    """Softmax (multinomial logistic) regression: ``apply`` returns logits ``X W + b``, ``(n, k)``.

    ``P(y = j | x) = exp(z_j) / sum_l exp(z_l)``; the cross-entropy loss applies the softmax (as
    ``log_softmax``), so the model returns the logits (``output="raw"``). Parameters and
    ``init`` are those of ``linear(n_inputs, n_classes)``; ``n_classes`` must be at least 2.
    """
    n_classes = check.integer("softmax: n_classes", n_classes, 2)
    return _affine("softmax", n_inputs, n_classes, init)


def _affine(name: str, n_inputs: Any, n_outputs: Any, init: Any) -> Model:
    d = check.integer(f"{name}: n_inputs", n_inputs, 1)
    k = check.integer(f"{name}: n_outputs", n_outputs, 1)
    init = check.choice(f"{name}: init", init, INITS)
    w_shape = (d,) if k == 1 else (d, k)
    b_shape = () if k == 1 else (k,)

    def init_fn(key: jax.Array) -> dict[str, jax.Array]:
        dtype = _dtype()
        (w,) = _init_weights(init, key, [w_shape], dtype)
        return {"w": w, "b": jnp.zeros(b_shape, dtype)}

    def apply(params: dict[str, jax.Array], X: jax.Array) -> jax.Array:
        X = _features(name, X, d)
        return _matmul(X, params["w"]) + params["b"]

    apply = _named_params(name, init_fn, apply)
    return Model(init_fn, apply, name=name, n_inputs=d, n_outputs=k, output="raw")


def mlp(
    sizes: Sequence[int],
    activation: str = "relu",
    init: str | None = None,
    output_activation: str | None = None,
) -> Model:
    """A fully connected network: ``h_0 = X``, ``h_l = act(h_{l-1} W_l + b_l)``.

    ``sizes = [n_inputs, hidden_1, ..., n_outputs]`` (at least two entries, each >= 1);
    ``activation`` is applied after every hidden layer and ``output_activation`` (default
    ``None``, the identity) after the last, so by default ``apply`` returns raw scores
    (logits): shape ``(n,)`` when the last size is 1, else ``(n, n_outputs)``. With
    ``output_activation="sigmoid"`` the outputs are probabilities and ``output`` says so.

    ``params`` is a list with one ``{"w": (fan_in, fan_out), "b": (fan_out,)}`` per layer. Every
    weight matrix is initialised with ``init`` (see the module docstring for the formulas):
    ``"he"`` by default when ``activation`` is relu (He et al. derived it for rectifiers) and
    ``"xavier"`` otherwise (Glorot and Bengio derived it for symmetric activations such as
    tanh). Biases start at 0. All layers' weights come from one draw from ``key``,
    cut into the layers in order and scaled per layer.
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError(f"mlp: sizes must be a list of integers >= 1; got {sizes!r}")
    sizes = [check.integer(f"mlp: sizes[{i}]", s, 1) for i, s in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(
            "mlp: sizes must have at least 2 entries (inputs, ..., outputs); "
            f"got {len(sizes)}: {sizes!r}"
        )
    act = ACTIVATIONS[check.choice("mlp: activation", activation, ACTIVATIONS)]
    if output_activation is None:
        output_activation = "identity"
    out_act = ACTIVATIONS[check.choice("mlp: output_activation", output_activation, ACTIVATIONS)]
    if init is None:
        init = "he" if activation == "relu" else "xavier"
    init = check.choice("mlp: init", init, INITS)
    shapes = list(itertools.pairwise(sizes))
    n_in, n_out = sizes[0], sizes[-1]

    def init_fn(key: jax.Array) -> list[dict[str, jax.Array]]:
        dtype = _dtype()
        weights = _init_weights(init, key, shapes, dtype)
        return [{"w": w, "b": jnp.zeros((w.shape[1],), dtype)} for w in weights]

    def apply(params: list[dict[str, jax.Array]], X: jax.Array) -> jax.Array:
        h = _features("mlp", X, n_in)
        if len(params) != len(shapes):
            raise ValueError(f"mlp: params must hold {len(shapes)} layers; got {len(params)}")
        for layer in params[:-1]:
            h = act(_matmul(h, layer["w"]) + layer["b"])
        h = out_act(_matmul(h, params[-1]["w"]) + params[-1]["b"])
        return h[:, 0] if n_out == 1 else h

    output = "probability" if output_activation == "sigmoid" else "raw"
    apply = _named_params("mlp", init_fn, apply)
    return Model(init_fn, apply, name="mlp", n_inputs=n_in, n_outputs=n_out, output=output)


__all__ = [
    "ACTIVATIONS",
    "INITS",
    "NORMAL_INIT_STD",
    "SIGMOID_NEURON_INIT_STD",
    "Model",
    "linear",
    "logistic",
    "mlp",
    "sigmoid_neuron",
    "softmax",
]
__dir__ = listing(__all__)
