"""Each update rule against its formula, written out independently in NumPy, and the
conventions against each other: where they must agree and where they must differ.

The gradient sequences are fixed arrays (not functions of the parameters), so the updates
can be checked in closed form step by step.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import descend as ds

RNG = np.random.default_rng(0)
GRADS = RNG.normal(size=(6, 4)) * np.array([1.0, 0.1, 3.0, 0.01])
THETA0 = RNG.normal(size=4)


def updates_of(opt, grads=GRADS, theta0=THETA0):
    """The updates a transform produces for a fixed gradient sequence (params move too)."""
    theta = jnp.asarray(theta0)
    state = opt.init(theta)
    out = []
    for g in grads:
        u, state = opt.update(jnp.asarray(g), state, theta)
        theta = ds.apply_updates(theta, u)
        out.append(np.asarray(u))
    return np.array(out)


def params_of(opt, grad_fn, theta0, steps):
    theta = jnp.asarray(theta0)
    state = opt.init(theta)
    path = [np.asarray(theta)]
    for _ in range(steps):
        u, state = opt.update(grad_fn(theta), state, theta)
        theta = ds.apply_updates(theta, u)
        path.append(np.asarray(theta))
    return np.array(path)


pytestmark = pytest.mark.usefixtures("x64")


def test_gd():
    np.testing.assert_allclose(updates_of(ds.gd(0.3)), -0.3 * GRADS, rtol=1e-14)


@pytest.mark.parametrize("dampening", [0.0, 0.4])
def test_momentum_sum_form_is_pytorch(dampening):
    lr, beta = 0.1, 0.8
    u, want = None, []
    for g in GRADS:
        u = g.copy() if u is None else beta * u + (1 - dampening) * g  # first step: u = g
        want.append(-lr * u)
    got = updates_of(ds.momentum(lr, beta, dampening=dampening))
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_momentum_ema_and_velocity_forms():
    lr, beta = 0.1, 0.8
    u, v, ema, vel = np.zeros(4), np.zeros(4), [], []
    for g in GRADS:
        u = beta * u + (1 - beta) * g
        v = beta * v - lr * g
        ema.append(-lr * u)
        vel.append(v.copy())
    np.testing.assert_allclose(updates_of(ds.momentum(lr, beta, form="ema")), ema, rtol=1e-13)
    np.testing.assert_allclose(updates_of(ds.momentum(lr, beta, form="velocity")), vel, rtol=1e-13)


def test_sum_and_velocity_agree_for_constant_lr_but_not_under_a_schedule():
    a = updates_of(ds.momentum(0.1, 0.9))
    b = updates_of(ds.momentum(0.1, 0.9, form="velocity"))
    np.testing.assert_allclose(a, b, rtol=1e-12)
    sched = ds.schedules.step(0.1, 2, 0.1)
    a = updates_of(ds.momentum(sched, 0.9))
    b = updates_of(ds.momentum(sched, 0.9, form="velocity"))
    # sum: -lr_t * (sum of past g); velocity keeps the old, larger lr inside the buffer
    assert np.abs(a[2:] - b[2:]).max() > 1e-3
    np.testing.assert_allclose(a[:2], b[:2], rtol=1e-12)


def test_nesterov_is_the_look_ahead_gradient():
    """PyTorch/Optax's reparametrised Nesterov iterates are the look-ahead points
    theta_t - lr*beta*u_{t-1} of Sutskever's form u_t = beta u + grad(theta - lr beta u)."""
    A = np.diag([1.0, 10.0, 0.3])
    grad = lambda x: A @ x  # noqa: E731
    lr, beta, steps = 0.05, 0.9, 60
    x0 = np.array([1.0, -2.0, 3.0])
    phi = params_of(ds.nesterov(lr, beta), lambda x: jnp.asarray(A) @ x, x0, steps)
    theta, u, look = x0.copy(), np.zeros(3), [x0.copy()]
    for _ in range(steps):
        u = beta * u + grad(theta - lr * beta * u)
        theta = theta - lr * u
        look.append(theta - lr * beta * u)
    np.testing.assert_allclose(phi, look, rtol=1e-10, atol=1e-13)
    # plain momentum from the same start follows a different path
    heavy = params_of(ds.momentum(lr, beta), lambda x: jnp.asarray(A) @ x, x0, steps)
    assert np.abs(heavy - phi).max() > 1e-2


def test_keras_velocity_nesterov_equals_pytorch_nesterov_for_constant_lr():
    a = updates_of(ds.nesterov(0.1, 0.9))
    b = updates_of(ds.nesterov(0.1, 0.9, form="velocity"))
    np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("eps_in_sqrt", [False, True])
def test_adagrad(eps_in_sqrt):
    lr, init, eps, decay = 0.5, 0.2, 1e-3, 0.1
    s, want = np.full(4, init), []
    for t, g in enumerate(GRADS):
        s = s + g * g
        denom = np.sqrt(s + eps) if eps_in_sqrt else np.sqrt(s) + eps
        want.append(-lr / (1 + t * decay) * g / denom)
    opt = ds.adagrad(
        lr, initial_accumulator_value=init, eps=eps, eps_in_sqrt=eps_in_sqrt, lr_decay=decay
    )
    np.testing.assert_allclose(updates_of(opt), want, rtol=1e-13)


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("eps_in_sqrt", [False, True])
@pytest.mark.parametrize("lr_in_momentum", [False, True])
def test_rmsprop(centered, eps_in_sqrt, lr_in_momentum):
    lr, rho, eps, m = 0.01, 0.9, 1e-2, 0.5
    nu, mu, buf, want = np.zeros(4), np.zeros(4), np.zeros(4), []
    for g in GRADS:
        nu = rho * nu + (1 - rho) * g * g
        mu = rho * mu + (1 - rho) * g
        var = nu - mu * mu if centered else nu
        s = g / (np.sqrt(var + eps) if eps_in_sqrt else np.sqrt(var) + eps)
        buf = m * buf + (lr * s if lr_in_momentum else s)
        want.append(-buf if lr_in_momentum else -lr * buf)
    opt = ds.rmsprop(
        lr, rho, eps, centered=centered, momentum=m,
        eps_in_sqrt=eps_in_sqrt, lr_in_momentum=lr_in_momentum,
    )  # fmt: skip
    np.testing.assert_allclose(updates_of(opt), want, rtol=1e-12)


def adam_reference(lr, b1, b2, eps, eps_root=0.0, eps_hat=False, amsgrad=None):
    m, v, vmax, out = np.zeros(4), np.zeros(4), np.zeros(4), []
    for t, g in enumerate(GRADS, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        c1, c2 = 1 - b1**t, 1 - b2**t
        if amsgrad == "raw":
            vmax = np.maximum(vmax, v)
            vhat = vmax / c2
        elif amsgrad == "corrected":
            vmax = np.maximum(vmax, v / c2)
            vhat = vmax
        else:
            vhat = v / c2
        if eps_hat:  # Keras: lr * sqrt(c2)/c1 * m / (sqrt(v) + eps)
            raw = vmax if amsgrad == "raw" else v
            out.append(-lr * np.sqrt(c2) / c1 * m / (np.sqrt(raw) + eps))
        else:
            out.append(-lr * (m / c1) / (np.sqrt(vhat + eps_root) + eps))
    return np.array(out)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"eps_root": 1e-4},
        {"eps_hat": True},
        {"amsgrad": "raw"},
        {"amsgrad": "corrected"},
        {"amsgrad": "raw", "eps_hat": True},
    ],
)
def test_adam(kwargs):
    lr, b1, b2, eps = 0.01, 0.8, 0.9, 1e-2
    got = updates_of(ds.adam(lr, b1, b2, eps, **kwargs))
    np.testing.assert_allclose(got, adam_reference(lr, b1, b2, eps, **kwargs), rtol=1e-12)


def test_epsilon_placements_and_amsgrad_maxima_really_differ():
    """The conventions are not cosmetic: with a visible epsilon they give other steps."""
    lr, b1, b2, eps = 0.01, 0.8, 0.9, 1e-2
    plain = updates_of(ds.adam(lr, b1, b2, eps))
    assert np.abs(plain - updates_of(ds.adam(lr, b1, b2, eps, eps_hat=True))).max() > 1e-5
    raw = updates_of(ds.amsgrad(lr, b1, b2, eps, max_of="raw"))
    corrected = updates_of(ds.amsgrad(lr, b1, b2, eps, max_of="corrected"))
    assert np.abs(raw - corrected).max() > 1e-5


def test_adamw_couplings():
    lr, wd, eta = 0.01, 0.1, 0.5
    steps = adam_reference(1.0, 0.9, 0.999, 1e-8)  # -direction, for lr = 1
    want_lr, want_sched = [], []
    th_lr, th_s = THETA0.copy(), THETA0.copy()
    for s in steps:
        u = eta * lr * s - eta * lr * wd * th_lr  # PyTorch: decay times the full lr
        th_lr = th_lr + u
        want_lr.append(u)
        u = eta * lr * s - eta * wd * th_s  # the paper: decay times the multiplier only
        th_s = th_s + u
        want_sched.append(u)
    got = updates_of(ds.adamw(lr, weight_decay=wd, schedule=eta))
    np.testing.assert_allclose(got, want_lr, rtol=1e-12)
    got = updates_of(ds.adamw(lr, weight_decay=wd, schedule=eta, coupling="schedule"))
    np.testing.assert_allclose(got, want_sched, rtol=1e-12)


def test_nadam_momentum_schedule_pytorch_form():
    lr, b1, b2, eps, psi = 0.01, 0.9, 0.99, 1e-8, 4e-3
    m, v, prod, want = np.zeros(4), np.zeros(4), 1.0, []
    for t, g in enumerate(GRADS, start=1):
        mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        prod *= mu
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v / (1 - b2**t)) + eps
        want.append(
            -lr * (1 - mu) / (1 - prod) * g / denom
            - lr * mu_next / (1 - prod * mu_next) * m / denom
        )
    got = updates_of(ds.nadam(lr, b1, b2, eps, momentum_decay=psi))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_nadam_constant_momentum_optax_form():
    lr, b1, b2, eps = 0.01, 0.9, 0.99, 1e-8
    m, v, want = np.zeros(4), np.zeros(4), []
    for t, g in enumerate(GRADS, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1**t)
        want.append(-lr * mhat / (np.sqrt(v / (1 - b2**t)) + eps))
    got = updates_of(ds.nadam(lr, b1, b2, eps, momentum_schedule=False))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_maximize_climbs_and_weight_decay_still_shrinks():
    """PyTorch's maximize=True: ascend the objective; the L2 decay still pulls toward 0."""
    # objective -(x - 3)^2 has its maximum at 3; with decay wd the fixed point is
    # g_ascent = wd * x  ->  -2(x - 3) = wd x  ->  x = 6 / (2 + wd)
    wd = 0.5
    opt = ds.chain(ds.maximize(), ds.weight_decay(wd), ds.gd(0.1))
    path = params_of(opt, jax.grad(lambda x: -jnp.sum((x - 3.0) ** 2)), np.zeros(1), 300)
    np.testing.assert_allclose(path[-1], 6 / (2 + wd), rtol=1e-10)


def test_clip_by_global_norm():
    tree = {"a": jnp.array([3.0, 0.0]), "b": jnp.array([[0.0, 4.0]])}  # norm 5
    opt = ds.clip_by_global_norm(1.0)
    out, _ = opt.update(tree, opt.init(tree))
    np.testing.assert_allclose(ds.global_norm(out), 1.0, rtol=1e-12)
    np.testing.assert_allclose(out["a"], [0.6, 0.0], rtol=1e-12)
    out, _ = ds.clip_by_global_norm(10.0).update(tree, opt.init(tree))
    np.testing.assert_array_equal(out["a"], tree["a"])
    # PyTorch's clip_grad_norm_ divides by norm + 1e-6
    out, _ = ds.clip_by_global_norm(1.0, eps=1e-6).update(tree, opt.init(tree))
    np.testing.assert_allclose(out["a"][0], 3.0 / (5.0 + 1e-6), rtol=1e-14)
    zero = {"a": jnp.zeros(2)}
    out, _ = opt.update(zero, opt.init(zero))
    assert np.all(np.isfinite(out["a"]))


def test_clip_by_value_and_norm():
    g = jnp.array([-5.0, 0.5, 2.0])
    out, _ = ds.clip_by_value(1.0).update(g, ds.clip_by_value(1.0).init(g))
    np.testing.assert_array_equal(out, [-1.0, 0.5, 1.0])
    tree = {"a": jnp.array([3.0, 4.0]), "b": jnp.array([0.1])}
    out, _ = ds.clip_by_norm(1.0).update(tree, ds.clip_by_norm(1.0).init(tree))
    np.testing.assert_allclose(out["a"], [0.6, 0.8], rtol=1e-12)
    np.testing.assert_array_equal(out["b"], [0.1])


def test_weight_decay_is_the_l2_gradient():
    wd = 0.3
    f = lambda x: jnp.sum(jnp.sin(x))  # noqa: E731
    f_l2 = lambda x: f(x) + wd / 2 * jnp.sum(x**2)  # noqa: E731
    x = jnp.asarray(THETA0)
    opt = ds.weight_decay(wd)
    out, _ = opt.update(jax.grad(f)(x), opt.init(x), x)
    np.testing.assert_allclose(out, jax.grad(f_l2)(x), rtol=1e-13)


def test_decoupled_weight_decay_needs_params():
    opt = ds.weight_decay(0.1)
    with pytest.raises(ValueError, match="needs the parameters"):
        opt.update(jnp.ones(2), opt.init(jnp.ones(2)))


def test_float32_state_stays_float32_with_float64_hyperparameters():
    with jax.enable_x64(True):
        lr = jnp.asarray(1e-2, jnp.float64)
        x = jnp.ones(3, jnp.float32)
        opt = ds.adam(lr)
        u, s = opt.update(x, opt.init(x), x)
        assert u.dtype == jnp.float32 and s.m.dtype == jnp.float32


@pytest.mark.parametrize("rule", [ds.adam, ds.nadam, ds.amsgrad, ds.rmsprop])
@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_half_precision_second_moments_move(rule, dtype):
    """In bfloat16 b2 = 0.999 (and RMSProp's 0.99) round to 1: a moment weighted by
    1 - cast(b2) stayed 0 and Adam's first step was m / eps (about 2e5 at lr 1e-3). The
    weight 1 - b2 is taken before the cast, so the first step of Adam is lr * sign(g), as
    in float32 (and RMSProp's, lr * g / sqrt((1 - rho) g^2) = lr / sqrt(1 - rho))."""
    g = jnp.array([2.0, -0.5], dtype)
    opt = rule()
    u, _ = opt.update(g, opt.init(jnp.zeros(2, dtype)), jnp.zeros(2, dtype))
    ref, _ = rule().update(g.astype(jnp.float32), opt.init(jnp.zeros(2)), jnp.zeros(2))
    assert u.dtype == dtype
    np.testing.assert_allclose(np.asarray(u, np.float32), np.asarray(ref), rtol=2e-2)


def test_half_precision_runs_are_not_stopped_far_from_the_minimum():
    """The precision floor was 64 ulps of the start's gradient: 6% in float16, where a run
    stopped as converged at x = 0.94 of 1 (its loss flat in rounding)."""
    res = ds.minimize(lambda x: jnp.sum((x - 1.0) ** 2), jnp.zeros(2, jnp.float16))
    assert res.reason != ds.StopReason.PRECISION or float(res.grad_norm) < 1e-2
    np.testing.assert_allclose(np.asarray(res.x, np.float32), 1.0, atol=5e-3)


# -- the shared pieces: one momentum buffer, AdamW from transforms ---------------------------


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("form", ["sum", "ema", "velocity"])
def test_the_momentum_piece_every_rule_shares(form, nesterov):
    from descend.optim._moments import trace

    lr, beta = 0.1, 0.8
    buf, got = np.zeros(4), jnp.zeros(4)
    for i, g in enumerate(GRADS):
        first = jnp.asarray(i == 0) if form == "sum" else None
        u, got = trace(jnp.asarray(g), got, beta, lr, form=form, nesterov=nesterov, first=first)
        if form == "velocity":
            buf = beta * buf - lr * g
            want = beta * buf - lr * g if nesterov else buf
        elif form == "ema":
            buf = beta * buf + (1 - beta) * g
            want = -lr * ((1 - beta) * g + beta * buf if nesterov else buf)
        else:
            buf = g.copy() if i == 0 else beta * buf + g
            want = -lr * (g + beta * buf if nesterov else buf)
        np.testing.assert_allclose(u, want, rtol=1e-13)
        np.testing.assert_allclose(got, buf, rtol=1e-13)


def test_rmsprop_with_the_lr_in_the_buffer_keeps_the_velocity():
    """lr_in_momentum=True is the "velocity" form: its buffer is -lr times PyTorch's."""
    lr, states = 0.05, {}
    for inside in (False, True):
        opt = ds.rmsprop(lr, 0.9, momentum=0.7, lr_in_momentum=inside)
        state = opt.init(jnp.zeros(4))
        for g in GRADS:
            _, state = opt.update(jnp.asarray(g), state)
        states[inside] = np.asarray(state.momentum)
    np.testing.assert_allclose(states[True], -lr * states[False], rtol=1e-12)


@pytest.mark.parametrize("coupling", ["lr", "schedule"])
def test_adamw_is_adam_then_decoupled_decay_then_the_schedule(coupling):
    lr, wd, eta = 0.01, 0.1, 0.5
    rate = lr * wd if coupling == "lr" else wd
    pieces = ds.chain(ds.adam(lr), ds.decoupled_weight_decay(rate), ds.scale_by_schedule(eta))
    got = updates_of(ds.adamw(lr, weight_decay=wd, schedule=eta, coupling=coupling))
    np.testing.assert_array_equal(got, updates_of(pieces))
