"""Fixtures of the study tests: one compilation cache for the session (the driver turns JAX's
persistent cache on; pointing it at a session folder keeps the user's cache untouched)."""

import os
import warnings

import jax
import pytest
from jax.experimental.compilation_cache import compilation_cache


@pytest.fixture(scope="session", autouse=True)
def study_cache(tmp_path_factory):
    """``DESCEND_CACHE_DIR`` for this session and the drivers it starts."""
    path = tmp_path_factory.mktemp("descend-jax-cache")
    old = os.environ.get("DESCEND_CACHE_DIR")
    os.environ["DESCEND_CACHE_DIR"] = str(path)
    # the suite's own cache (tests/conftest.py) is set aside: a study finds JAX as a user's
    # process does, with no cache folder, and turns its own on
    suite_cache = jax.config.jax_compilation_cache_dir
    jax.config.update("jax_compilation_cache_dir", None)
    compilation_cache.reset_cache()
    yield path
    jax.config.update("jax_compilation_cache_dir", suite_cache)
    compilation_cache.reset_cache()
    if old is None:
        os.environ.pop("DESCEND_CACHE_DIR", None)
    else:
        os.environ["DESCEND_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def ray_cluster(study_cache):
    """One local Ray cluster (2 CPUs, no dashboard) shared by the tests that ask for it, shut
    down at the end of the session; Ray executors made meanwhile use it (and leave it up).
    Its workers get the session's compilation cache from each task (the executor forwards
    ``DESCEND_CACHE_DIR``)."""
    ray = pytest.importorskip("ray")
    started = not ray.is_initialized()
    if started:
        with warnings.catch_warnings():  # ray.init forks and execs: JAX's warning does not apply
            warnings.filterwarnings("ignore", "os.fork", RuntimeWarning)
            ray.init(
                num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False
            )
    yield ray
    if started:
        ray.shutdown()
