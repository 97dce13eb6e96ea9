"""The functions that work on the host (they run their own vmapped program, or read results
as NumPy arrays) refuse to be traced (jax.vmap, jax.jit) with one clear TypeError, before any
work, instead of JAX's TracerArrayConversionError or ConcretizationTypeError from deep
inside."""

import jax
import jax.numpy as jnp
import pytest

import descend as ds

HIMMELBLAU = ds.surfaces.get("himmelblau")
CALLS = {
    "basin_map": lambda lr: ds.insight.basin_map(HIMMELBLAU, ds.gd(lr), resolution=4),
    "stability_map": lambda x: ds.insight.stability_map(
        HIMMELBLAU, "momentum", start=jnp.stack([x, x]), resolution=4
    ),
    "fair_race": lambda lr: ds.insight.fair_race(HIMMELBLAU, rules=(("gd", {"lr": lr}),)),
    "seed_fan": lambda lr: ds.insight.seed_fan(HIMMELBLAU, ds.gd(lr), seeds=2),
    "fit_fan": lambda lr: ds.insight.fit_fan(
        ds.models.logistic(2), "binary_cross_entropy", ds.data.moons(), ds.adam(lr), epochs=1
    ),
}
# functions that read finished results or values on the host say how in their own words
ON_THE_HOST = {
    "lr_find": lambda x: ds.insight.lr_find(HIMMELBLAU, jnp.stack([x, x])),
    "diagnose": lambda lr: ds.insight.diagnose(ds.minimize(HIMMELBLAU, None, ds.gd(lr))),
    "validate": lambda lr: ds.validate(ds.adam, lr=lr),
    # the data generators draw with NumPy
    "moons": lambda noise: ds.data.moons(noise=noise),
    "spiral": lambda noise: ds.data.spiral(noise=noise),
    "linear_regression": lambda noise: ds.data.linear_regression(noise=noise),
    # a traced learning rate runs (tests/engine/test_strategies.py); traced starts cannot
    "restarts": lambda x: ds.restarts(
        HIMMELBLAU, ds.adam(0.01), 4, around=jnp.stack([x, x]), radius=1.0, max_steps=10
    ),
}


@pytest.mark.parametrize("name", [*CALLS, *ON_THE_HOST])
@pytest.mark.parametrize("transform", [jax.vmap, jax.jit], ids=["vmap", "jit"])
def test_tracing_a_host_function_is_refused_in_one_message(name, transform):
    values = jnp.array([0.01, 0.02]) if transform is jax.vmap else jnp.asarray(0.01)
    how = "runs its own vmapped program" if name in CALLS else ".*"
    with pytest.raises(TypeError, match=rf"^{name} {how} .*cannot run under jax\.jit, jax\.vmap"):
        transform({**CALLS, **ON_THE_HOST}[name])(values)
