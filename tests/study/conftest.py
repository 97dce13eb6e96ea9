"""Fixtures of the study tests: one compilation cache folder for the session (the driver turns
JAX's persistent cache on; pointing it at a session folder keeps the user's cache untouched),
and a local Ray cluster while a module needs it."""

import os
import warnings

import jax
import pytest
from jax.experimental.compilation_cache import compilation_cache


@pytest.fixture(scope="session")
def study_cache_folder(tmp_path_factory):
    """The folder of the study drivers' compilation cache, one for the session, so that a
    chunk's program compiled by one module is read by the next."""
    return tmp_path_factory.mktemp("descend-jax-cache")


@pytest.fixture(scope="module", autouse=True)
def study_cache(study_cache_folder):
    """``DESCEND_CACHE_DIR`` for the module and the drivers it starts. The suite's own cache
    (tests/conftest.py) is set aside meanwhile, so that a study finds JAX as a user's process
    does, with no cache folder, and turns its own on; it is back for the tests that follow
    on this worker (a session-wide fixture left them the study's folder)."""
    old = os.environ.get("DESCEND_CACHE_DIR")
    os.environ["DESCEND_CACHE_DIR"] = str(study_cache_folder)
    suite_cache = jax.config.jax_compilation_cache_dir
    jax.config.update("jax_compilation_cache_dir", None)
    compilation_cache.reset_cache()
    yield study_cache_folder
    jax.config.update("jax_compilation_cache_dir", suite_cache)
    compilation_cache.reset_cache()
    if old is None:
        os.environ.pop("DESCEND_CACHE_DIR", None)
    else:
        os.environ["DESCEND_CACHE_DIR"] = old


@pytest.fixture(scope="module")
def ray_cluster(study_cache):
    """One local Ray cluster (2 CPUs, no dashboard) shared by the tests of a module that ask
    for it, shut down after them (not at the end of the session: an idle cluster takes a
    share of a core from the tests that follow); Ray executors made meanwhile use it (and
    leave it up). Its workers get the session's compilation cache from each task (the
    executor forwards ``DESCEND_CACHE_DIR``)."""
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
