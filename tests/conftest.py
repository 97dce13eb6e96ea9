"""Shared fixtures: float64 on request (reference tests run in float64), float32 otherwise."""

import contextlib
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile

import jax
import pytest

# XLA compiling programs is most of the suite's time (60% of its CPU, from jax.monitoring),
# and XLA's CPU compiler spends most of that building each fused kernel through MLIR. The
# tests ask it for its elemental emitters instead (--xla_cpu_use_fusion_emitters=false, still
# in XLA): the same HLO programs, the same float semantics, machine code that compiles in half
# the time (the suite: 15:39 -> 11:36 on 2 cores, every test passing both ways; see
# BENCHMARKS.md). Users and the benchmarks get XLA's default. DESCEND_TEST_XLA_CODEGEN=default
# runs the suite with XLA's default too; an XLA that no longer knows the flag falls back to it.
_CODEGEN_VARIABLE = "DESCEND_TEST_XLA_CODEGEN"
_ELEMENTAL = "--xla_cpu_use_fusion_emitters=false"


def _ask_for_elemental_emitters() -> None:
    """Add the flag to XLA_FLAGS (read when JAX's backend starts, so before any test runs;
    pytest-xdist workers and the tests' subprocesses inherit it), once XLA is seen to accept
    it: an unknown flag would abort every process."""
    if os.environ.setdefault(_CODEGEN_VARIABLE, "elemental") != "elemental":
        return
    if "xla_cpu_use_fusion_emitters" in os.environ.get("XLA_FLAGS", ""):
        return  # set by the controller already (a worker), or by whoever runs the suite
    flags = f"{os.environ.get('XLA_FLAGS', '')} {_ELEMENTAL}".strip()
    probe = [sys.executable, "-c", "import jax.numpy as j; j.zeros(1).block_until_ready()"]
    env = {**os.environ, "XLA_FLAGS": flags}
    if subprocess.run(probe, env=env, capture_output=True, timeout=300).returncode == 0:
        os.environ["XLA_FLAGS"] = flags
    else:
        os.environ[_CODEGEN_VARIABLE] = "default"


_ask_for_elemental_emitters()


def pytest_report_header(config):
    return f"XLA CPU code generation: {os.environ[_CODEGEN_VARIABLE]} ({_CODEGEN_VARIABLE})"


@pytest.fixture
def x64():
    """Run the test body with 64-bit floats enabled, and restore the default afterwards."""
    with jax.enable_x64(True):
        yield


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def compilations():
    """Count XLA compilations by name: ``with compilations() as seen: ...; seen("step")``.

    Uses JAX's own compilation logging (``jax.log_compiles``), the way Optax's tests do.
    """

    @contextlib.contextmanager
    def capture():
        handler = _Records()
        logger = logging.getLogger("jax")
        logger.addHandler(handler)
        try:
            with jax.log_compiles(True):

                def count(name):
                    pattern = re.compile(rf"Finished XLA compilation of jit\({re.escape(name)}\)")
                    return sum(bool(pattern.search(m)) for m in handler.messages)

                yield count
        finally:
            logger.removeHandler(handler)

    return capture


@pytest.fixture
def cli(capsys):
    """Run the ``descend`` command line in-process: ``code, out, err = cli("race", ...)``."""
    from descend.cli import main

    def run(*argv):
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


# Folders whose tests share one expensive session resource: under pytest-xdist
# (`make test` runs `-n 2 --dist loadgroup`) each folder runs on one worker, so the session
# starts one live server and one Chromium (web) and one local Ray cluster (study), not one a
# worker. Every other test goes to whichever worker is free.
_SHARED_SESSION = ("web", "study")


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = item.path.parts
        folder = parts[parts.index("tests") + 1] if "tests" in parts else ""
        if folder in _SHARED_SESSION:
            item.add_marker(pytest.mark.xdist_group(folder))


# XLA's compilation is most of the suite's time, and many tests build the same programs (the
# same loss, rule and loop, from different Python functions): a compilation cache on disk
# turns the repeats into a read (12% less compile time, measured with jax.monitoring; see
# BENCHMARKS.md). The executables are XLA's own, so the tests still run what users run. Each
# pytest-xdist worker has a folder of its own (sharing one saved no more, and one process
# never reads what another is writing), fresh each session; DESCEND_TEST_JAX_CACHE names a
# folder to keep between sessions, or "off".
_CACHE_VARIABLE = "DESCEND_TEST_JAX_CACHE"


def pytest_configure(config):
    # the data sets that descend.problems.data.load keeps go to the session's own folder,
    # not the user's cache (the suite reads them from scikit-learn once, then from there)
    if not hasattr(config, "workerinput") and "DESCEND_DATA_CACHE" not in os.environ:
        data = tempfile.mkdtemp(prefix="descend-data-cache-")
        os.environ["DESCEND_DATA_CACHE"] = data
        config.add_cleanup(lambda: shutil.rmtree(data, ignore_errors=True))
    if not hasattr(config, "workerinput") and _CACHE_VARIABLE not in os.environ:
        folder = tempfile.mkdtemp(prefix="descend-jax-cache-")
        os.environ[_CACHE_VARIABLE] = folder  # the workers, started later, inherit it
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    folder = os.environ[_CACHE_VARIABLE]
    if folder != "off":
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        jax.config.update("jax_compilation_cache_dir", os.path.join(folder, worker))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        # two threads of a worker (a study's chunks, the playground's requests) may compile
        # one program at once, and one read the entry the other is writing: it compiles
        config.addinivalue_line(
            "filterwarnings", "ignore:Error reading persistent compilation cache entry"
        )
