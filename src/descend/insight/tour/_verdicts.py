"""The verdict rules: each a pure function of a claim's measurements that returns
``(verdict, explanation)``, so the rule can be checked on made-up numbers without running
anything. A rule compares the measured numbers with what the claim says, with thresholds
stated in the explanation; it never looks at anything but the numbers it is given."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from descend.insight.tour._core import DEPENDS, FAILS, HOLDS

Verdict = tuple[str, str]
M = Mapping[str, float]


def _all(parts: list[tuple[bool, str]]) -> Verdict:
    """Holds when every part holds; otherwise names the parts that failed."""
    failed = [text for ok, text in parts if not ok]
    passed = [text for ok, text in parts if ok]
    if not failed:
        return HOLDS, "; ".join(passed)
    return FAILS, "failed: " + "; ".join(failed)


def verdict_01(m: M) -> Verdict:
    """Holds when gradient descent at the small rate never raised the loss (``rises_small``
    is 0 over the whole run) and the loss ended lower than it began."""
    return _all(
        [
            (
                m["rises_small"] == 0,
                f"{m['rises_small']:.0f} of {m['steps_small']:.0f} steps at the "
                "small rate raised the loss",
            ),
            (
                m["final_small"] < m["start_loss"],
                f"loss {m['start_loss']:.4g} -> {m['final_small']:.4g}",
            ),
        ]
    )


def verdict_02(m: M) -> Verdict:
    """Holds when the measured divergence threshold is within 2% of 2/L, the rate 10
    diverged, the smallest rate needed at least 10x the steps of the best one (a crawl) and
    rates between 1/L and 2/L flip the sign of the steep coordinate's step (oscillation)."""
    err = abs(m["threshold_measured"] / m["threshold_theory"] - 1)
    return _all(
        [
            (
                err <= 0.02,
                f"threshold {m['threshold_measured']:.4g} vs 2/L = "
                f"{m['threshold_theory']:.4g} ({100 * err:.1f}% off, 2% allowed)",
            ),
            (
                m["lr10_diverged"] == 1,
                "lr = 10 diverged" if m["lr10_diverged"] == 1 else "lr = 10 did not diverge",
            ),
            (
                m["crawl_steps"] >= 10 * m["best_steps"],
                f"smallest rate {m['crawl_steps']:.0f} steps "
                f"vs best {m['best_steps']:.0f} (10x needed for a crawl)",
            ),
            (
                m["oscillation_share"] >= 0.9,
                f"share of sign flips below the threshold: "
                f"{m['oscillation_share']:.2f} (0.9 needed)",
            ),
        ]
    )


def verdict_03(m: M) -> Verdict:
    """Holds when gradient descent spends most (>= 50%) of its steps where the gradient is
    gentle (below 10% of its largest value) and momentum reaches the target loss at least
    1.5x sooner; does not hold when momentum is not faster."""
    ratio = m["gd_steps"] / max(m["momentum_steps"], 1)
    slow = m["gd_gentle_share"] >= 0.5
    fast = ratio >= 1.5
    text = (
        f"GD spent {100 * m['gd_gentle_share']:.0f}% of its steps on gentle slopes; "
        f"momentum {ratio:.1f}x faster ({m['gd_steps']:.0f} vs {m['momentum_steps']:.0f} "
        "steps)"
    )
    if slow and fast:
        return HOLDS, text
    if fast or slow:
        return DEPENDS, text + " (only one half of the claim: on the surface's plateau size)"
    return FAILS, text


def verdict_04(m: M) -> Verdict:
    """Holds when gradient descent's steep-coordinate steps flip sign most of the time
    (>= 50%: a zig-zag) and momentum both flips less and walks a shorter path relative to its
    displacement (path length over distance)."""
    return _all(
        [
            (
                m["gd_flip_share"] >= 0.5,
                f"GD flips the steep step {100 * m['gd_flip_share']:.0f}% of the time",
            ),
            (
                m["momentum_flip_share"] < m["gd_flip_share"],
                f"momentum flips {100 * m['momentum_flip_share']:.0f}%",
            ),
            (
                m["momentum_path_ratio"] < m["gd_path_ratio"],
                f"path/distance "
                f"{m['gd_path_ratio']:.2f} (GD) vs {m['momentum_path_ratio']:.2f} (momentum)",
            ),
        ]
    )


def verdict_05(m: M) -> Verdict:
    """The claim gives a range, 3x to 10x. Holds when every measured speed-up (keys starting
    ``speedup_``) lies in it, does not hold when none does, and depends (on the problem: the
    condition number) when some do."""
    ups = {k[len("speedup_") :]: v for k, v in m.items() if k.startswith("speedup_")}
    inside = [k for k, v in ups.items() if 3 <= v <= 10]
    text = ", ".join(f"{k}: {v:.1f}x" for k, v in ups.items())
    if len(inside) == len(ups):
        return HOLDS, f"all speed-ups in 3x-10x ({text})"
    if not inside:
        return FAILS, f"no speed-up in 3x-10x ({text})"
    outside = [k for k in ups if k not in inside]
    return DEPENDS, (
        f"on the condition number / problem: in range for {', '.join(inside)}, "
        f"not for {', '.join(outside)} ({text})"
    )


def verdict_06(m: M) -> Verdict:
    """Per surface (suffix ``_q``: a quadratic, ``_r``: Rosenbrock): the claim holds there
    when momentum's loss rises (U-turns) exist, Nesterov has fewer and converges in fewer
    steps at the same lr and beta. Holds when it holds on both, depends when on one only."""
    ok = {}
    parts = []
    for tag, name in (("q", "quadratic"), ("r", "Rosenbrock")):
        mu, nu = m[f"momentum_rises_{tag}"], m[f"nesterov_rises_{tag}"]
        ms, ns = m[f"momentum_steps_{tag}"], m[f"nesterov_steps_{tag}"]
        ok[name] = mu > 0 and nu < mu and ns < ms
        parts.append(
            f"{name}: momentum {mu:.0f} rises/{ms:.0f} steps, Nesterov "
            f"{nu:.0f} rises/{ns:.0f} steps"
        )
    text = "; ".join(parts)
    if all(ok.values()):
        return HOLDS, text
    if any(ok.values()):
        good = [k for k, v in ok.items() if v]
        return DEPENDS, f"on the surface (holds on {', '.join(good)} only): {text}"
    return FAILS, text


def verdict_09(m: M) -> Verdict:
    """Holds when both momentum and Adam leave the saddle (loss below the escape level) in
    fewer steps than gradient descent; depends when only one does."""
    g, mo, ad = m["gd_escape"], m["momentum_escape"], m["adam_escape"]
    text = f"steps to escape: GD {g:.0f}, momentum {mo:.0f}, Adam {ad:.0f}"
    if mo < g and ad < g:
        return HOLDS, text
    if mo < g or ad < g:
        return DEPENDS, f"on the method: {text}"
    return FAILS, text


def verdict_10(m: M) -> Verdict:
    """Holds when RMSProp and Adam, each with one learning rate, leave every coordinate
    within 5% of its start distance while gradient descent, at its best stable rate
    2/(L+mu), leaves its worst coordinate more than 50% away after the same budget."""
    return _all(
        [
            (m["adam_worst"] <= 0.05, f"Adam worst coordinate {m['adam_worst']:.3g}"),
            (m["rmsprop_worst"] <= 0.05, f"RMSProp worst coordinate {m['rmsprop_worst']:.3g}"),
            (m["gd_worst"] > 0.5, f"GD worst coordinate {m['gd_worst']:.3g}"),
        ]
    )


def verdict_12(m: M) -> Verdict:
    """Holds when the unclipped run diverged and the clipped run (same rate) did not and
    ended below its start loss."""
    return _all(
        [
            (
                m["plain_diverged"] == 1,
                "unclipped run diverged"
                if m["plain_diverged"] == 1
                else "unclipped run did not diverge",
            ),
            (
                m["clipped_diverged"] == 0,
                "clipped run stayed finite"
                if m["clipped_diverged"] == 0
                else "clipped run diverged",
            ),
            (
                m["clipped_final"] < m["start_loss"],
                f"clipped loss {m['start_loss']:.4g} -> {m['clipped_final']:.4g}",
            ),
        ]
    )


def verdict_14(m: M) -> Verdict:
    """Holds when gradient ascent on the log-likelihood and descent on its negative end
    within 1e-3 of each other and of the closed-form maximum-likelihood estimate."""
    return _all(
        [
            (m["ascent_vs_descent"] <= 1e-3, f"ascent vs descent {m['ascent_vs_descent']:.2g}"),
            (m["ascent_vs_mle"] <= 1e-3, f"ascent vs closed form {m['ascent_vs_mle']:.2g}"),
        ]
    )


def verdict_15(m: M) -> Verdict:
    """Holds when the run with a gradient tolerance stopped before its budget, within the
    strong-convexity bound |x - x*| <= tol/mu (with 50% slack for the non-quadratic part),
    and the run without one used its whole budget."""
    return _all(
        [
            (
                m["steps_tol"] < m["budget"],
                f"with tol: {m['steps_tol']:.0f} of {m['budget']:.0f} steps",
            ),
            (
                m["distance_tol"] <= 1.5 * m["distance_bound"],
                f"distance {m['distance_tol']:.2g} (bound tol/mu = {m['distance_bound']:.2g})",
            ),
            (m["steps_no_tol"] >= m["budget"], f"without tol: {m['steps_no_tol']:.0f} steps"),
        ]
    )


def verdict_16(m: M) -> Verdict:
    """Holds when Adam + L2 and AdamW end further apart (relative distance) than 5x the
    accuracy of the runs themselves (Adam + L2's distance from the exact ridge solution it
    should reach), and at least 1% apart."""
    floor = max(5 * m["l2_vs_ridge"], 0.01)
    diff = m["relative_difference"]
    text = f"relative difference {diff:.3g} vs needed {floor:.3g}"
    return (HOLDS if diff > floor else FAILS), text


def verdict_13(m: M) -> Verdict:
    """Holds when, on both surfaces (Rastrigin and the double well), both random restarts and
    annealing found the global minimum in a larger share of seeds than one GD run did."""
    parts = []
    for s in ("rastrigin", "double_well"):
        one = m[f"{s}_single"]
        for k in ("restarts", "annealing"):
            share = m[f"{s}_{k}"]
            parts.append((share > one, f"{s}: {k} {100 * share:.0f}% vs one run {100 * one:.0f}%"))
    return _all(parts)


def verdict_08(m: M) -> Verdict:
    """Holds when plain descent stays in the shallow minimum and at least a fifth of the
    noisy runs end in the global minimum's basin."""
    return _all(
        [
            (m["batch_share"] == 0, "plain descent stays in the local minimum"
             if m["batch_share"] == 0 else "plain descent left the local minimum"),
            (
                m["noisy_share"] >= 0.2,
                f"{100 * m['noisy_share']:.0f}% of {m['seeds']:.0f} noisy runs ended in the "
                "global basin (20% needed)",
            ),
        ]
    )  # fmt: skip


def verdict_17(m: M) -> Verdict:
    """Holds when the first-to-last gradient ratio with sigmoid is at least 10x smaller than
    with ReLU, and below 0.1 (the first layer's gradient has really shrunk)."""
    sig, relu = m["sigmoid_first_over_last"], m["relu_first_over_last"]
    return _all(
        [
            (sig <= relu / 10, f"first/last gradient ratio: sigmoid {sig:.3g}, ReLU {relu:.3g}"),
            (sig < 0.1, f"sigmoid's first layer gets {sig:.3g}x the last layer's gradient"),
        ]
    )


def verdict_11(m: M) -> Verdict:
    """Holds when every decaying schedule ends at least 2x lower than the constant rate (the
    noise ball's level)."""
    const = m["constant_final"]
    return _all(
        [
            (m[f"{k}_final"] <= const / 2, f"{k}: {m[f'{k}_final']:.3g} vs constant {const:.3g}")
            for k in ("inverse_time", "step", "cosine", "warmup_cosine")
        ]
    )


def verdict_07(m: M) -> Verdict:
    """Holds when the roughness orders stochastic > mini-batch > batch and mini-batch reaches
    the target loss soonest; depends (on which part) when only one of the two is true."""
    rb, rs, rm = m["batch_roughness"], m["stochastic_roughness"], m["minibatch_roughness"]
    tb, ts, tm = m["batch_ms_to_target"], m["stochastic_ms_to_target"], m["minibatch_ms_to_target"]
    noise = rs > rm > rb
    fastest = tm <= min(tb, ts)
    text = (
        f"roughness: stochastic {rs:.3g}, mini-batch {rm:.3g}, batch {rb:.3g}; time to the "
        f"target: mini-batch {tm:.3g} ms, stochastic {ts:.3g} ms, batch {tb:.3g} ms"
    )
    if noise and fastest:
        return HOLDS, text
    if noise or fastest:
        part = "the noise ordering" if noise else "the wall-clock race"
        return DEPENDS, f"only {part} holds here ({text})"
    return FAILS, text


def _by_batch(m: M, prefix: str) -> dict[int, float]:
    """The measurements ``{prefix}_b{size}`` by batch size, in increasing size."""
    head = f"{prefix}_b"
    found = {int(k[len(head) :]): x for k, x in m.items() if k.startswith(head)}
    return dict(sorted(found.items()))


def _falling(values: list[float]) -> bool:
    """Whether each value is below the one before it."""
    return all(b < a for a, b in itertools.pairwise(values))


def verdict_18(m: M) -> Verdict:
    """Four parts, between the smallest and the largest batch size. Flatter: the smallest
    batch's sharpness (largest Hessian eigenvalue) is at most half the largest batch's.
    Generalises better: its validation loss is at least 2% lower. More accurate: the gradient
    estimate's error falls at every larger batch size. Fewer: the updates per epoch fall at
    every larger batch size. Holds when all four hold; depends when the last two hold and
    exactly one of the first two (the minima are flatter but not better on validation, or the
    reverse); does not hold otherwise."""
    sharp, val = _by_batch(m, "sharpness"), _by_batch(m, "val")
    err, ups = _by_batch(m, "graderror"), _by_batch(m, "updates")
    small, large = min(sharp), max(sharp)
    flatter = sharp[small] <= 0.5 * sharp[large]
    better = val[small] <= 0.98 * val[large]
    accurate, fewer = _falling(list(err.values())), _falling(list(ups.values()))
    text = (
        f"sharpness {sharp[small]:.3g} at batch {small} vs {sharp[large]:.3g} at {large} "
        "(half needed); validation loss "
        f"{val[small]:.4g} vs {val[large]:.4g} (2% lower needed); relative gradient error "
        + ", ".join(f"{e:.3g}" for e in err.values())
        + "; updates per epoch "
        + ", ".join(f"{u:.0f}" for u in ups.values())
        + f" (batch sizes {', '.join(str(b) for b in err)})"
    )
    if flatter and better and accurate and fewer:
        return HOLDS, text
    if accurate and fewer and (flatter or better):
        part = "flatter but not better on validation" if flatter else "better but not flatter"
        return DEPENDS, f"only in part: the small-batch minimum is {part} here ({text})"
    return FAILS, text


def verdict_19(m: M) -> Verdict:
    """Holds when (a) the spread over shuffling seeds of the final training loss is smaller
    at the largest batch size than at the smallest (more stable), (b) the mini-batch
    gradient's variance, corrected for sampling without replacement, falls like 1/B: a
    log-log slope in [-1.1, -0.9] and every size within 20% of sigma^2/B, and (c) the returns
    diminish: the last doubling (64 to 128) buys at most a quarter of the fall in standard
    error that the first (1 to 2) buys."""
    spread = _by_batch(m, "spread")
    small, large = min(spread), max(spread)
    slope, off = m["variance_slope"], m["variance_vs_theory"]
    first, last = m["first_doubling_gain"], m["last_doubling_gain"]
    return _all(
        [
            (
                spread[large] < spread[small],
                f"loss spread over seeds {spread[small]:.3g} at batch {small}, "
                f"{spread[large]:.3g} at {large}",
            ),
            (
                -1.1 <= slope <= -0.9 and off <= 0.2,
                f"gradient variance slope {slope:.3f} (1/B gives -1), at most "
                f"{100 * off:.0f}% off sigma^2/B (20% allowed)",
            ),
            (
                last <= 0.25 * first,
                f"the first doubling lowers the gradient's standard error by {first:.3g}, "
                f"the last by {last:.3g} (a quarter or less needed)",
            ),
        ]
    )


def verdict_20(m: M) -> Verdict:
    """Holds when the high-dimensional network's end losses over many seeds have a spread
    (standard deviation over mean) of at most 5% and the low-dimensional surface's end losses
    spread at least 5x as much; depends when the network's spread is small but the surface's
    is not much larger; does not hold when the network's spread exceeds 5%."""
    wide, surf = m["net_spread"], m["surface_spread"]
    tiny = f", {100 * m['tiny_spread']:.1f}% for the 2-2-1 one" if "tiny_spread" in m else ""
    text = (
        f"spread of end losses over their mean: {100 * wide:.1f}% for the "
        f"{m['net_parameters']:.0f}-parameter network{tiny}, {100 * surf:.0f}% on 2-D "
        "Rastrigin (5% or less needed, and at least 5x less than the surface)"
    )
    if wide > 0.05:
        return FAILS, text
    if surf >= 5 * wide:
        return HOLDS, text
    return DEPENDS, f"similar losses, but no more similar than on the surface ({text})"


def verdict_21(m: M) -> Verdict:
    """First the engine must weight past gradients as the texts' formula does: the heavy
    ball's weights sum to 1/(1 - beta) within 1%, the EMA form's to 1 within 1%, and the
    measured share of the last 10 gradients matches 1 - beta^10 within 0.001; otherwise it
    does not hold. Then, read as "only the last 10 gradients count": holds when they carry
    at least 90% of the weight, depends (on what "roughly" means: 10 = 1/(1 - beta) is the
    weights' total and time scale, not a cut-off) when they carry 50% to 90%, does not hold
    below 50%."""
    beta, share = m["beta"], m["last10_share"]
    window = 1 / (1 - beta)
    engine = (
        abs(m["sum_total"] / window - 1) <= 0.01
        and abs(m["ema_total"] - 1) <= 0.01
        and abs(share - m["last10_theory"]) <= 1e-3
    )
    text = (
        f"weights sum to {m['sum_total']:.4g} (1/(1 - beta) = {window:.4g}; EMA form "
        f"{m['ema_total']:.4g}); the last 10 gradients carry {100 * share:.1f}% of the weight "
        f"(1 - beta^10 = {100 * m['last10_theory']:.1f}%), 90% needs the last "
        f"{m['count_for_90']:.0f}; mean age {m['mean_age']:.3g} steps"
    )
    if not engine:
        return FAILS, f"the engine does not weight gradients by beta^k: {text}"
    if share >= 0.9:
        return HOLDS, text
    if share >= 0.5:
        return DEPENDS, (
            "on the reading: 10 = 1/(1 - beta) is the weights' total and time scale, but "
            f"a third of the weight lies further back ({text})"
        )
    return FAILS, text
