"""The models: shapes and metadata, each forward pass against an independent NumPy one, the
initialisations' statistics against their formulas, determinism from keys, jit/vmap/grad, and
errors for bad arguments."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds
from descend.problems import data, metrics, models, surfaces
from descend.problems.models import (
    ACTIVATIONS,
    INITS,
    Model,
    linear,
    logistic,
    mlp,
    sigmoid_neuron,
    softmax,
)

KEY = jax.random.key(0)

# (model, n_inputs, output shape for 5 samples, params shapes, output kind)
CASES = {
    "linear_1": (linear(3), 3, (5,), {"w": (3,), "b": ()}, "raw"),
    "linear_2": (linear(3, 2), 3, (5, 2), {"w": (3, 2), "b": (2,)}, "raw"),
    "logistic": (logistic(4), 4, (5,), {"w": (4,), "b": ()}, "raw"),
    "softmax": (softmax(4, 3), 4, (5, 3), {"w": (4, 3), "b": (3,)}, "raw"),
    "mlp_1": (mlp([3, 8, 1]), 3, (5,), [{"w": (3, 8), "b": (8,)}, {"w": (8, 1), "b": (1,)}], "raw"),
    "mlp_k": (
        mlp([3, 8, 6, 2], activation="tanh"),
        3,
        (5, 2),
        [{"w": (3, 8), "b": (8,)}, {"w": (8, 6), "b": (6,)}, {"w": (6, 2), "b": (2,)}],
        "raw",
    ),
    "mlp_prob": (
        mlp([2, 4, 1], output_activation="sigmoid"),
        2,
        (5,),
        [{"w": (2, 4), "b": (4,)}, {"w": (4, 1), "b": (1,)}],
        "probability",
    ),
    "neuron": (sigmoid_neuron(), 1, (5,), {"w": (), "b": ()}, "probability"),
}


def _inputs(n_inputs, n=5, seed=1):
    return np.random.default_rng(seed).normal(size=(n, n_inputs)).astype(np.float32)


def _random_params(model, seed=7):
    """Parameters of the model's structure with every leaf random (biases included), drawn with
    NumPy so that the forward-pass tests do not depend on ``init``."""
    leaves, tree = jax.tree.flatten(jax.eval_shape(model.init, KEY))
    rng = np.random.default_rng(seed)
    return tree.unflatten([jnp.asarray(rng.normal(size=x.shape), x.dtype) for x in leaves])


@pytest.mark.parametrize("case", sorted(CASES))
def test_shapes_dtypes_and_metadata(case):
    model, d, out_shape, shapes, output = CASES[case]
    assert isinstance(model, Model)
    assert model.n_inputs == d
    assert model.n_outputs == (out_shape[1] if len(out_shape) == 2 else 1)
    assert model.output == output
    assert model.name
    params = model.init(KEY)
    assert jax.tree.map(lambda a: a.shape, params) == shapes
    assert all(x.dtype == jnp.float32 for x in jax.tree.leaves(params))
    out = model.apply(params, _inputs(d))
    assert out.shape == out_shape
    assert out.dtype == jnp.float32


def test_float64_on_request(x64):
    for case in ("linear_2", "mlp_k", "neuron"):
        model, d, *_ = CASES[case]
        params = model.init(KEY)
        assert all(x.dtype == jnp.float64 for x in jax.tree.leaves(params))
        assert model.apply(params, _inputs(d).astype(np.float64)).dtype == jnp.float64


def test_sigmoid_neuron_is_the_closed_form_and_takes_both_input_shapes():
    model = sigmoid_neuron()
    x = np.array([-3.0, -0.5, 0.0, 0.5, 2.5], dtype=np.float32)
    params = {"w": jnp.float32(1.5), "b": jnp.float32(-0.5)}
    expected = 1.0 / (1.0 + np.exp(-(1.5 * x.astype(np.float64) - 0.5)))
    np.testing.assert_allclose(model.apply(params, x), expected, rtol=1e-6)
    np.testing.assert_allclose(model.apply(params, x[:, None]), expected, rtol=1e-6)


def test_sigmoid_neuron_start_by_hand_and_agreement_with_the_surface():
    model = sigmoid_neuron(start=(-2.0, -2.0))
    params = model.init(KEY)
    assert float(params["w"]) == -2.0 and float(params["b"]) == -2.0
    other = model.init(jax.random.key(99))  # the key is ignored
    assert float(other["w"]) == -2.0 and float(other["b"]) == -2.0
    # Half the squared error on the texts' data is the sigmoid_neuron surface, everywhere.
    points = data.sigmoid_neuron_data()
    surface = surfaces.get("sigmoid_neuron")
    for w, b in [(-2.0, -2.0), (0.3, 1.1), (math.log(6), math.log(0.25) - math.log(6) / 2)]:
        p = {"w": jnp.float32(w), "b": jnp.float32(b)}
        loss = 0.5 * jnp.sum((sigmoid_neuron().apply(p, points.X) - points.y) ** 2)
        assert float(loss) == pytest.approx(float(surface(jnp.array([w, b]))), abs=1e-6)


def test_sigmoid_neuron_random_init_is_small_and_vmaps_over_keys():
    init = sigmoid_neuron().init
    draws = jax.jit(jax.vmap(init))(jax.random.split(KEY, 4000))
    assert draws["w"].shape == (4000,)
    one = init(jax.random.split(KEY, 4000)[5])["w"]
    assert float(draws["w"][5]) == pytest.approx(float(one), rel=1e-6)
    for leaf in (draws["w"], draws["b"]):
        assert float(jnp.std(leaf)) == pytest.approx(0.1, rel=0.05)
    assert not np.allclose(draws["w"], draws["b"])  # w and b use different keys


def test_linear_models_are_affine_maps():
    X = _inputs(4, n=7)
    for model in (linear(4), logistic(4), linear(4, 3), softmax(4, 3)):
        p = _random_params(model)
        expected = X.astype(np.float64) @ np.asarray(p["w"], np.float64) + np.asarray(p["b"])
        np.testing.assert_allclose(model.apply(p, X), expected, rtol=1e-5, atol=1e-5)


def _numpy_forward(params, X, activation, output_activation):
    act = {
        "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0.0),
        "identity": lambda z: z,
    }
    h = X.astype(np.float64)
    for i, layer in enumerate(params):
        w, b = np.asarray(layer["w"], np.float64), np.asarray(layer["b"], np.float64)
        last = i == len(params) - 1
        h = act[output_activation if last else activation](h @ w + b)
    return h[:, 0] if h.shape[1] == 1 else h


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("output_activation", [None, "sigmoid"])
@pytest.mark.parametrize("sizes", [[3, 5, 4, 2], [3, 6, 1]])
def test_mlp_matches_a_numpy_forward_pass(activation, output_activation, sizes):
    model = mlp(sizes, activation=activation, output_activation=output_activation)
    params = _random_params(model)
    X = _inputs(3, n=9)
    expected = _numpy_forward(params, X, activation, output_activation or "identity")
    np.testing.assert_allclose(model.apply(params, X), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("init", "std"),
    [
        ("xavier", math.sqrt(2.0 / (1000 + 500))),  # Var = 2 / (fan_in + fan_out)
        ("he", math.sqrt(2.0 / 1000)),  # Var = 2 / fan_in
        ("normal", 0.01),
    ],
)
def test_init_statistics_follow_the_formulas(init, std):
    (layer,) = mlp([1000, 500], init=init).init(KEY)
    w = np.asarray(layer["w"], np.float64)
    assert w.std() == pytest.approx(std, rel=0.02)
    assert abs(w.mean()) < 0.01 * std
    assert np.all(np.asarray(layer["b"]) == 0)
    if init == "xavier":  # uniform on [-a, a], a = sqrt(6 / (fan_in + fan_out))
        limit = math.sqrt(6.0 / 1500)
        assert np.abs(w).max() <= limit * (1 + 1e-6)
        assert np.abs(w).max() > 0.99 * limit
        assert np.histogram(w, bins=10)[0].min() > 0.9 * w.size / 10  # flat, not bell-shaped
    else:  # normal: about 4.55% of draws beyond two standard deviations
        assert np.mean(np.abs(w) > 2 * std) == pytest.approx(0.0455, abs=0.003)


def test_default_init_is_he_for_relu_and_xavier_otherwise():
    sizes = [20, 10]
    for activation, init in [("relu", "he"), ("tanh", "xavier"), ("sigmoid", "xavier")]:
        default = mlp(sizes, activation=activation).init(KEY)
        explicit = mlp(sizes, activation=activation, init=init).init(KEY)
        for a, b in zip(jax.tree.leaves(default), jax.tree.leaves(explicit), strict=True):
            np.testing.assert_array_equal(a, b)


def test_zeros_init():
    for model in (mlp([4, 8, 3], init="zeros"), linear(4, 2), logistic(4), softmax(4, 3)):
        assert all(np.all(np.asarray(x) == 0) for x in jax.tree.leaves(model.init(KEY)))
    zero_net = mlp([4, 1], init="zeros")
    assert np.all(np.asarray(zero_net.apply(zero_net.init(KEY), _inputs(4))) == 0)


@pytest.mark.parametrize("model", [sigmoid_neuron(), linear(3, 2, init="he"), mlp([3, 8, 2])])
def test_init_is_a_function_of_the_key(model):
    a, b = model.init(jax.random.key(3)), model.init(jax.random.key(3))
    c = model.init(jax.random.key(4))
    for x, y, z in zip(jax.tree.leaves(a), jax.tree.leaves(b), jax.tree.leaves(c), strict=True):
        np.testing.assert_array_equal(x, y)
        assert not np.array_equal(x, z) or np.all(np.asarray(x) == 0)  # zero biases match
    # the legacy raw uint32 keys work too
    legacy = model.init(jax.random.PRNGKey(3))
    assert jax.tree.structure(legacy) == jax.tree.structure(a)


def test_jit_vmap_and_grad():
    model = mlp([3, 8, 2], activation="tanh")
    params = model.init(KEY)
    X = _inputs(3, n=6)
    np.testing.assert_allclose(jax.jit(model.apply)(params, X), model.apply(params, X), rtol=1e-6)
    jit_params = jax.jit(model.init)(KEY)
    for a, b in zip(jax.tree.leaves(jit_params), jax.tree.leaves(params), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)

    # vmap over stacked parameters (an ensemble; vmap over keys is tested with the neuron),
    # then over batches of inputs
    members = [_random_params(model, seed) for seed in range(4)]
    ensemble = jax.tree.map(lambda *leaves: jnp.stack(leaves), *members)
    outs = jax.jit(jax.vmap(model.apply, in_axes=(0, None)))(ensemble, X)
    assert outs.shape == (4, 6, 2)
    np.testing.assert_allclose(outs[1], model.apply(members[1], X), rtol=1e-5, atol=1e-6)
    batches = np.stack([X, 2 * X])
    assert jax.vmap(model.apply, in_axes=(None, 0))(params, batches).shape == (2, 6, 2)

    # grad: for linear least squares it is 2/n X^T r and 2/n sum r
    lin = linear(3)
    p = _random_params(lin)
    y = np.arange(6, dtype=np.float32)

    def loss(p):
        return jnp.mean((lin.apply(p, X) - y) ** 2)

    g = jax.jit(jax.grad(loss))(p)
    r = np.asarray(lin.apply(p, X), np.float64) - y
    np.testing.assert_allclose(g["w"], 2 / 6 * X.T.astype(np.float64) @ r, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g["b"], 2 / 6 * r.sum(), rtol=1e-4, atol=1e-5)
    g_mlp = jax.jit(jax.grad(lambda p: jnp.sum(model.apply(p, X) ** 2)))(params)
    assert jax.tree.structure(g_mlp) == jax.tree.structure(params)
    assert all(np.all(np.isfinite(x)) for x in jax.tree.leaves(g_mlp))


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: linear(0), ValueError, r"linear: n_inputs must be an integer >= 1; got 0"),
        (lambda: linear(3, -1), ValueError, r"linear: n_outputs must be an integer >= 1; got -1"),
        (lambda: linear(2.5), TypeError, r"n_inputs must be an integer >= 1; got 2\.5"),
        (
            lambda: logistic(True),
            TypeError,
            r"logistic: n_inputs must be an integer >= 1; got True",
        ),
        (
            lambda: linear(3, init="glorot"),
            ValueError,
            r"init must be one of 'xavier', 'he', .*'glorot'",
        ),
        (lambda: softmax(3, 1), ValueError, r"softmax: n_classes must be an integer >= 2; got 1"),
        (lambda: mlp([3]), ValueError, r"mlp: sizes must have at least 2 entries"),
        (lambda: mlp(3), TypeError, r"mlp: sizes must be a list of integers >= 1; got 3"),
        (lambda: mlp([3, 0, 1]), ValueError, r"mlp: sizes\[1\] must be an integer >= 1; got 0"),
        (
            lambda: mlp([3, 1], activation="gelu"),
            ValueError,
            r"activation must be one of 'sigmoid', 'tanh'",
        ),
        (
            lambda: mlp([3, 1], init="kaiming"),
            ValueError,
            r"mlp: init must be one of .*'he'.*'kaiming'",
        ),
        (
            lambda: mlp([3, 1], output_activation="softmax"),
            ValueError,
            r"output_activation must be one of",
        ),
        (lambda: sigmoid_neuron(start=(1.0,)), ValueError, r"start must be a pair of numbers"),
        (lambda: sigmoid_neuron(start=(1.0, float("nan"))), ValueError, r"start must be finite"),
    ],
)
def test_bad_arguments_raise_clear_errors(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_inputs_of_the_wrong_shape_are_named():
    for model, d in [(linear(3), 3), (mlp([3, 2]), 3), (softmax(3, 2), 3)]:
        params = model.init(KEY)
        with pytest.raises(ValueError, match=rf"X must have shape \(n_samples, {d}\); got shape"):
            model.apply(params, np.zeros((4, d + 1)))
        with pytest.raises(ValueError, match=r"got shape \(3,\)"):
            model.apply(params, np.zeros(3))
    with pytest.raises(ValueError, match=r"sigmoid_neuron: X must have shape \(n,\) or \(n, 1\)"):
        sigmoid_neuron().apply(sigmoid_neuron().init(KEY), np.zeros((4, 2)))


def test_registries_list_the_documented_names():
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "identity"}
    assert set(INITS) == {"xavier", "he", "normal", "zeros"}


def test_problem_objects_print_their_facts_not_their_functions():
    surface = ds.surfaces.get("rosenbrock")
    text = repr(surface)
    assert text.startswith(
        "Surface(name='rosenbrock', dim=2, formula='(1 - x)^2 + 100 (y - x^2)^2'"
    )
    assert "<function" not in text and "minima=((1.0, 1.0),)" in text
    assert (
        repr(ds.models.mlp([4, 8, 3])) == "Model(name='mlp', n_inputs=4, n_outputs=3, output='raw')"
    )
    assert repr(ds.losses.get("mse")) == "Loss(name='mse', task='regression')"


def test_init_takes_an_integer_seed_as_fit_does():
    """linear(3).init(0) worked (zeros ignore the key) but mlp(...).init(0) failed inside
    jax.random; a seed is the key jax.random.key(seed), also traced under vmap."""
    model = models.mlp([3, 4, 2], init="he")
    a, b = model.init(7), model.init(jax.random.key(7))
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(x, y)
    batched = jax.vmap(model.init)(jnp.arange(3))
    np.testing.assert_array_equal(batched[0]["w"][2], model.init(2)[0]["w"])
    with pytest.raises(TypeError, match=r"init takes a PRNG key \(jax.random.key\(0\)\) or an"):
        model.init("seed")
    with pytest.raises(ValueError, match="seed must be an integer"):
        model.init(-1)


def test_metrics_refuse_outputs_and_targets_of_different_lengths_or_none():
    with pytest.raises(ValueError, match=r"r2: outputs and y must hold the same .* got 3 and 4"):
        metrics.r2(jnp.zeros(3), jnp.zeros(4))
    with pytest.raises(ValueError, match=r"got 0 and 0"):
        metrics.r2(jnp.zeros(0), jnp.zeros(0))  # scored a perfect 1 before
    with pytest.raises(ValueError, match=r"accuracy: outputs and y .* got 5 and 4"):
        metrics.accuracy(jnp.zeros((5, 3)), jnp.zeros(4))


def test_apply_names_parameters_that_are_not_the_models():
    """``model.apply(result, X)`` (the fit's result, not ``result.params``) and another
    model's parameters raised a bare ``KeyError: 'w'`` or "object is not subscriptable"."""
    model = models.linear(3)
    X = jnp.ones((2, 3))
    result = ds.fit(model, "mse", (X, jnp.ones(2)), ds.gd(0.1), epochs=2)
    np.testing.assert_allclose(model.apply(result.params, X), X @ result.params["w"]
                               + result.params["b"])  # fmt: skip
    message = (
        r"^linear\.apply\(params, X\): params must be what linear\.init\(key\) gives, "
        r"PyTreeDef\(\{'b': \*, 'w': \*\}\); got a FitResult: pass result\.params$"
    )
    with pytest.raises(TypeError, match=message):
        model.apply(result, X)
    mlp_params = models.mlp([3, 4, 1]).init(jax.random.key(0))
    for wrong in (None, {}, mlp_params):
        with pytest.raises(TypeError, match=r"^linear\.apply\(params, X\): params must be"):
            model.apply(wrong, X)
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 3\)"):  # not params'
        model.apply(result.params, jnp.ones((2, 5)))
