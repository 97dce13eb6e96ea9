"""The doctor reads any finite curve: whatever the numbers (zeros, steps, repeats, negative
losses, subnormal ones or the largest floats), it answers one of its labels with evidence,
and never raises or warns from inside NumPy."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descend.insight.diagnose import LABELS, diagnose

FINITE = st.floats(allow_nan=False, allow_infinity=False)  # up to 1.8e308 and down to 5e-324
# values that make ties, zeros and exact repeats: the shapes random floats never draw
LEVELS = st.sampled_from([0.0, 0.5, 1.0, -1.0, 2.0, 1e-300, 1e300, 1.7e308, -1.7e308])
CURVES = st.one_of(
    st.lists(FINITE, min_size=3, max_size=150),
    st.lists(LEVELS, min_size=3, max_size=150),
    st.lists(st.floats(0.0, 10.0), min_size=3, max_size=150),
)


@pytest.mark.filterwarnings("error")
@settings(max_examples=300, deadline=None)
@given(losses=CURVES, unit=st.sampled_from(["step", "epoch"]))
def test_any_finite_curve_gets_a_label_and_its_evidence(losses, unit):
    x = np.asarray(losses, dtype=float)
    d = diagnose({"loss": x, unit: np.arange(1, x.size + 1)})
    assert d.label in LABELS
    assert d.evidence and all(isinstance(line, str) and line for line in d.evidence)


@pytest.mark.parametrize("unit", ["step", "epoch"])
def test_a_curve_that_falls_to_zero_and_comes_back_up_is_too_high(unit):
    """Its second half's first window is all zeros, so its relative fall is -1: the text of
    the bounce rule divided by 1 + half_change whether it applied or not (ZeroDivisionError)."""
    x = np.array([1.0] + [0.0] * 20 + [0.5] * 10)
    assert diagnose({"loss": x, unit: np.arange(x.size)}).label == "too_high"


def test_losses_next_to_the_largest_float_are_read_in_units_that_do_not_overflow():
    """A log of losses about 1e308 (a run blowing up in float64): their sums and differences
    overflowed to inf (numpy's warnings, a noise read as infinite). Read in units of a power
    of two, the curve gets the label of the same curve at 1: a ratio does not change."""
    t = np.arange(60.0)
    curve = 0.1 + np.exp(-t / 10) + 0.05 * (t % 3 == 0)
    big = curve * 1.5e308
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = diagnose(big)
    assert d.label == diagnose(curve).label
    assert "read in units of 2^" in d.evidence[0]
