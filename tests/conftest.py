"""Shared fixtures: float64 on request (reference tests run in float64), float32 otherwise."""

import jax
import pytest


@pytest.fixture
def x64():
    """Run the test body with 64-bit floats enabled, and restore the default afterwards."""
    with jax.enable_x64(True):
        yield
