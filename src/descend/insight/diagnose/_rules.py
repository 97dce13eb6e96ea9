"""The rules that turn the statistics of a loss curve into one label, the evidence for it and
advice. Thresholds are the constants below; statistics are those of
:mod:`descend.insight.diagnose._statistics`, measured on the curve itself or, for a noisy curve
(per-step mini-batch losses, see :func:`~descend.insight.diagnose._curve.smooth_if_noisy`), on
its block means. The rules are tried in this order; the first that fires decides.

``diverged``
    a loss is NaN or infinite (unless the run went on after a few of them: at most
    ``SKIPPED_SHARE`` of a log, none in its last tenth, are left out as skipped steps and said
    so); or the engine that ran the curve stopped it as diverged; or
    ``peak >= BLOWUP_FACTOR`` (descend's own divergence rule: ``1e4`` times the start); or the
    curve ends ``RUNAWAY_FACTOR`` times above its start (on its way there).
``too_high`` (rose from its floor)
    the curve starts at its lowest point, 0 or below, where a ratio to the start means
    nothing, and ends ``FLOOR_RISE`` of the way up its range, ``RISE_SIGMAS`` robust standard
    errors of one value and ``RISE_END - 1`` of the start's size above its start: the run
    made it worse.
``too_low`` or ``plateau`` (never left its start)
    without gradient norms or an engine that judged it converged, the run removed less than
    ``PLATEAU_PROGRESS`` of its starting loss and never went ``NEVER_LEFT_PEAK`` times above
    it (unless, measured from its start, it jumps by ``NEVER_LEFT_JUMP`` of it in one move of
    its second half with a noise of one value of ``NEVER_LEFT_NOISE`` of it: thrown about,
    which the instability rules read first): its ups and downs are noise, not instability.
    ``plateau`` when the curve is smooth enough to see that it stopped moving, ``too_low``
    otherwise (see :func:`_never_left`).
``too_high`` (the steps overshoot)
    the curve ends above its start (``end_level >= RISE_END``); or it gave back a share of its
    best progress (``rebound >= REBOUND``) or ends ``RELATIVE_REBOUND`` above the lowest level
    it reached (measured from its floor); or, in the second half, the loss jumps up by at
    least ``SWING`` of the starting loss at once (a spike; one after which the run settled
    near its floor, ``end_level <= LEVEL_DONE``, only counts from ``BIG_SPIKE``, and in a
    smoothed noisy curve a spike must stand ``NOISE_SIGMAS`` standard errors of a block mean
    out of the batch noise, in a curve read as it is ``SPIKE_SIGMAS`` robust standard errors
    of one move); or
    it oscillates: at least ``CYCLE_FRACTION`` of the second half's steps rise, by a median
    ``CYCLE_AMPLITUDE`` (``NOISY_CYCLE_AMPLITUDE`` when smoothed) of the loss's level, while
    that level is above ``LEVEL_DONE`` and no longer falls fast (``half_change`` below
    ``CYCLE_TREND``: rises around a level that fell by a third or more over the last 60% are
    noise on a falling trend, as in a per-epoch log of a mini-batch run near its floor). In a
    per-epoch log read as it is whose first epoch did not blow up (``first_drop`` below
    ``FIRST_EPOCH_DROP``) and that does not go to and fro every epoch (a clean two-step
    cycle, ``CYCLE_ALTERNATION``), spikes and oscillation around a level that still fell by
    ``EPOCH_TREND`` of itself over the last 60%, and by ``TREND_SIGMAS`` times the noise of
    one epoch, are that noise too (only noted): epoch means of a
    mini-batch run at its best rate bounce and now and then jump, and keep falling; or,
    in a smoothed noisy curve, the batch noise grows ``NOISE_GROWTH`` times while the loss no
    longer falls steadily; or, in a per-epoch log read as it is, the first epoch's loss is
    ``FIRST_EPOCH_DROP`` times the second's and in the second half the loss still multiplies
    by ``EPOCH_JUMP`` from one epoch to the next (the first epoch's mean holds a blow-up,
    which makes every ratio to the start look like progress). Each sign must stand out
    of the noise (see :func:`_unstable`). An overshoot to ``PEAK_FACTOR`` times the start after
    which the run settled is only noted. Last, a curve whose last 60% averages
    ``HELD_ABOVE`` times its start (a rise so noisy that the gates above let it pass: the
    start's noise is measured over a first block that may already hold the jump).
``converged`` / ``plateau`` / ``too_high`` (stalled: ``half_change < STALL``)
    ``converged`` when it stalled near its floor (``level <= LEVEL_DONE``), or the engine met
    its gradient tolerance, or the gradient norm fell to ``GRAD_SMALL`` of its largest, or
    (no gradient known) after real progress (``progress >= PLATEAU_PROGRESS``); ``too_high``
    when, after real progress, the gradient norm is still ``GRAD_BOUNCE`` of its largest (the
    steps bounce across a valley); otherwise ``plateau``: stalled with a gradient that is not
    small, or stalled near where it started.
``converged`` / ``too_low`` / ``healthy`` (still falling)
    ``converged`` when the loss is already ``CONVERGED_LEVEL`` of its start, or the engine
    met its gradient tolerance; ``too_low`` when running as long again would lower the loss by
    at least ``GAIN_LOW`` of its start (``gain``: still falling steadily, far from
    converged), unless the curve, read as it is, rises at ``NOISY_FALL`` or more of its
    second half's points (its fall per point is down to the size of its noise: the noise of
    the steps, not their size, limits it, see :func:`_falling`), or when the fall slows down
    while the gradient norm stays above ``GRAD_SMALL`` of its largest (crawling, not
    converging), or, with no gradient norm, when it slows down at ``SMOOTH_LEVEL`` of its
    start or more, read as it is, rising at fewer than ``SMOOTH_RISES`` of the (at least
    ``SMOOTH_MOVES``) moves of its second half (a smooth crawl: a right rate's steps leave
    their noise in the loss); ``healthy`` otherwise (falling and levelling off).

The thresholds were chosen on the TUNING problems of ``benchmarks/diagnosis_corpus.py`` and
checked on its VALIDATION and HELD-OUT problems; the noise gates and the rules of issue 9 on
the tuning tasks of ``benchmarks/foreign_corpus.py`` (PyTorch and scikit-learn curves), whose
held-out tasks are scored once per round (``BENCHMARKS.md``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.insight.diagnose._curve import CYCLE_ALTERNATION, Curve

BLOWUP_FACTOR = 1e4  # peak/start that counts as blown up (descend.minimize's default rule)
RUNAWAY_FACTOR = 100.0  # ending this many times above the start: diverging, if not yet blown up
RISE_END = 1.1  # ending 10% above the start: the run made things worse
REBOUND = 0.2  # giving back 20% of the best progress by the end
SWING = 0.05  # a single rise of 5% of the starting loss in the second half ...
BIG_SPIKE = 0.25  # ... unless the run settled near its floor after it, and it was below 25%
CYCLE_FRACTION = 0.3  # at least 30% of the second half's steps rise ...
CYCLE_AMPLITUDE = 0.05  # ... by a median 5% of the current level: an oscillation
PEAK_FACTOR = 2.0  # overshooting to twice the start (noted when the run settled anyway)
NOISY_CYCLE_AMPLITUDE = 0.2  # in a smoothed noisy curve an oscillation is 20% of its level ...
NOISE_SIGMAS = 6.0  # ... and a spike, a rise or a rebound of its block means 6 standard errors
# of a block mean (batch noise alone moves a block mean by about one; the largest of 25
# rises of pure noise is about 3)
CYCLE_SIGMAS = 3.0  # an oscillation's median rise: 3 standard errors (noise gives about 1)
SPIKE_SIGMAS = 3.0  # in a curve read as it is, a spike: 3 robust standard errors of a move
RISE_SIGMAS = 3.0  # ending above the start: by 3 standard errors of start and end together
FLOOR_RISE = 0.5  # a curve that starts at its lowest point and ends in the upper half of its range
CYCLE_TREND = 0.5  # ... unless its level fell by a third over the last 60% (noise on a fall)
EPOCH_TREND = 0.15  # a per-epoch log whose level fell by 13% over the last 60% ...
TREND_SIGMAS = 2.0  # ... and by twice the noise of one epoch: noise on a falling trend
NOISE_GROWTH = 2.0  # the swings of the steps over the last 30% twice those of the 30% before
RELATIVE_REBOUND = 0.5  # ending 50% above the lowest level the run reached (from its floor)
STALL = 0.01  # the loss fell by less than 1% of its level over the second half: stalled
LEVEL_DONE = 1e-2  # a loss below 1% of its start is near its floor
CONVERGED_LEVEL = 1e-6  # a loss a millionth of its start has converged, falling or not
GRAD_SMALL = 1e-3  # a gradient norm 0.1% of its largest is small (a stationary point)
GRAD_BOUNCE = 0.5  # stalled with the gradient at half its largest: overshooting to and fro
PLATEAU_PROGRESS = 0.1  # less than 10% of the starting loss removed: it never got going
NEVER_LEFT_PEAK = 1.5  # ... and never went 50% above its start: the rate is too low to move it
NEVER_LEFT_JUMP = 0.1  # ... unless it jumped by a tenth of its start in one move ...
NEVER_LEFT_NOISE = 0.05  # ... with the noise of one value at 5% of its start: thrown about
HELD_ABOVE = 2.0  # the last 60% of the run at twice its start on average: thrown up, not back
FIRST_EPOCH_DROP = 5.0  # a per-epoch log whose second loss is a fifth of its first ...
EPOCH_JUMP = 3.0  # ... and whose loss later triples from one epoch to the next: unstable
GAIN_LOW = 0.01  # running as long again would still remove 1% of the starting loss
NOISY_FALL = 0.25  # ... unless a quarter of the second half's points rise: noise-limited
SMOOTH_LEVEL = 0.2  # a fall that slows at a fifth of its start or more ...
SMOOTH_RISES = 0.1  # ... and rises at fewer than 10% of its second half's points ...
SMOOTH_MOVES = 13  # ... out of 13 or more (a right rate rising at a quarter of its points
# shows at most one rise in 13 with probability 0.75^13 + 13 * 0.25 * 0.75^12 = 13%): crawling

ADVICE = {
    "diverged": (
        "The learning rate is far too high: the loss blew up. Reduce it by 10x or more and "
        "run again; if it still blows up at small rates, clip the gradients "
        "(descend.clip_by_global_norm) and check the data and the loss for NaN or infinite "
        "values."
    ),
    "too_high": (
        "The learning rate is too high: {how} instead of settling into a minimum. Reduce it "
        "by 3x-10x, or keep it and decay it with a schedule; with mini-batches, a larger "
        "batch also calms the noise."
    ),
    "too_low": (
        "The learning rate is too low: the loss is still falling steadily at the end, far "
        "from converged. Raise it by 3x-10x (or run much longer); a learning-rate range test "
        "(descend.insight.lr_find, or descend lr-find) finds the largest rate that is still stable."
    ),
    "plateau": (
        "The loss has stalled although the gradient is not small: the run is crossing a "
        "flat region (a plateau, a saddle or the floor of a narrow valley) in steps too "
        "small to leave it. Raise the learning rate by 3x-10x, or use momentum or an "
        "adaptive method (Adam, RMSProp), which cross flat regions much faster."
    ),
    "converged": (
        "The loss has levelled off{where}: the run has converged and the learning rate "
        "did its job. Nothing to change; stop earlier to save time, or lower the rate at "
        "the end if you need the last digits."
    ),
    "healthy": (
        "The loss falls smoothly and is levelling off: the learning rate looks right. Run a "
        "little longer to finish converging."
    ),
}
# healthy, read from a fall limited by its own noise (see _falling)
NOISE_LIMITED_ADVICE = (
    "The loss still falls, as fast as its noise allows: the learning rate looks right (a "
    "higher one would add noise, not speed). Run longer to go lower, and decay the rate (or "
    "grow the batch) towards the end to lower the level the noise holds it at."
)


def _pct(x: float) -> str:
    return f"{100 * x:.3g}%"


def _num(value: float) -> str:
    """A step or epoch as text: whole as it is, a fraction of an epoch (losses logged within
    epochs) to two decimals (``3.4``, ``7.98``), or three digits below 1 (``0.0125``)."""
    value = float(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) >= 1 else f"{value:.3g}"


def _at(curve: Curve, index: int) -> str:
    return f"{curve.unit} {_num(curve.steps[index])}"


def _span(curve: Curve, start: int) -> str:
    return f"{curve.unit}s {_num(curve.steps[start])}-{_num(curve.steps[-1])}"


def nonfinite_evidence(curve: Curve, index: int) -> list[str]:
    """The evidence for a curve with a NaN or infinite loss at ``index``."""
    return [
        f"the loss is {curve.loss[index]} at {_at(curve, index)} (the first non-finite "
        f"value; threshold: any)"
    ]


def _blown_up(curve: Curve, s: dict[str, Any]) -> list[str]:
    if s["peak"] >= BLOWUP_FACTOR:
        return [
            f"the loss at {_at(curve, s['peak_index'])} is {s['peak']:.3g}x the starting "
            f"loss (threshold {BLOWUP_FACTOR:g}x): it blew up"
        ]
    if s["end_level"] >= RUNAWAY_FACTOR:
        return [
            f"the loss ends at {s['end_level']:.3g}x its starting value (threshold "
            f"{RUNAWAY_FACTOR:g}x): it is blowing up"
        ]
    return []


def _unstable(curve: Curve, s: dict[str, Any], ev: list[str]) -> list[str]:
    """The ways the curve shows steps that overshoot (appending the evidence to ``ev``). In
    a smoothed noisy curve each sign must also stand out of the batch noise: a rise, a
    rebound or a spike of the block means by ``NOISE_SIGMAS`` standard errors of a block
    mean, an oscillation by ``CYCLE_SIGMAS``, an end above the start by ``RISE_SIGMAS``
    standard errors (the noise of the start, one value, measured at the start, with that of
    a block mean at the end); a spike in a curve read as it is (per epoch, full batch) by
    ``SPIKE_SIGMAS`` robust standard errors of one move (``robust_noise``: noise from the
    median move, which the spikes do not inflate); or the steps swing wider and wider
    (``NOISE_GROWTH``) while
    the loss no longer falls steadily (wider swings on a loss still falling fast are batches
    that differ more as the model fits some of them, not instability).

    An end ``RELATIVE_REBOUND`` above the lowest level the run reached, measured from the
    floor (``given_back / lowest_level``), is a rebound too: a run near its floor that gives
    back little of its start has still left the minimum it found, which a right rate does
    not do (noise around a floor is held off by the same ``NOISE_SIGMAS`` gate)."""
    hows: list[str] = []
    late = _span(curve, s["second_half_from"])
    smoothed = s.get("block", 1) > 1
    sem = np.sqrt(2.0) * s.get("block_noise", 0.0)  # the noise of a difference of two means
    # the start is one value, the end a block mean: each has its own noise (an unstable run
    # is far noisier at its end than at its start)
    rise_noise = float(np.hypot(s.get("start_noise", 0.0), s.get("block_noise", 0.0)))
    relative = s["given_back"] / s["lowest_level"] if s["lowest_level"] > 0 else 0.0
    if s["end_level"] >= RISE_END and s["end_level"] - 1 >= RISE_SIGMAS * rise_noise:
        ev.append(
            f"the loss ends at {s['end_level']:.3g}x its starting value (threshold "
            f"{RISE_END:g}x): the run made it worse"
        )
        hows.append("the loss rises")
    elif s["rebound"] >= REBOUND and s["given_back"] >= NOISE_SIGMAS * sem:
        ev.append(
            f"after its lowest value ({s['lowest']:.4g} at {_at(curve, s['lowest_index'])}) "
            f"the loss climbed back {_pct(s['rebound'])} of the way to its start by the "
            f"end (threshold {_pct(REBOUND)})"
        )
        hows.append("the loss climbs back up")
    elif (
        relative >= RELATIVE_REBOUND
        and s["end_level"] > LEVEL_DONE
        and s["given_back"] >= NOISE_SIGMAS * sem
    ):
        ev.append(
            f"the loss ends {_pct(relative)} above the lowest level it reached "
            f"({s['lowest']:.4g} at {_at(curve, s['lowest_index'])}; threshold "
            f"{_pct(RELATIVE_REBOUND)}): the steps threw it back out of the minimum it found"
        )
        hows.append("the loss climbs back up")
    # a spike stands out of the noise: of a block mean when smoothed, else of the curve's own
    # values (robust: read from the median move, so the spikes do not hide themselves)
    own = 0.0 if smoothed else SPIKE_SIGMAS * np.sqrt(2.0) * s.get("robust_noise", 0.0)
    spike = s["max_rise"] >= max(SWING, NOISE_SIGMAS * sem, own)
    spike_text = (
        f"in the second half ({late}) the loss jumps up by as much as "
        f"{_pct(s['max_rise'])} of its starting value at once, at "
        f"{_at(curve, s['max_rise_index'])} (threshold {_pct(SWING)}"
        + (
            f", and {NOISE_SIGMAS:g} standard errors of a block mean, {_pct(sem)})"
            if smoothed
            else ")"
        )
    )
    settled = s["end_level"] <= LEVEL_DONE and s["rebound"] < REBOUND
    # a per-epoch log (each point the mean of an epoch's batches, at moving weights) of a run
    # whose first epoch did not blow up, with a level that still falls: at the best rate of a
    # mini-batch run such means bounce and now and then jump (a batch order that throws the
    # weights), and the run goes on falling; a rate too high stops the fall or reverses it
    falling_epochs = (
        curve.unit == "epoch"
        and not smoothed
        and s["first_drop"] < FIRST_EPOCH_DROP
        and s["alternation"] < CYCLE_ALTERNATION  # a to-and-fro every epoch overshoots
        and s["half_change"] >= EPOCH_TREND
        and s["half_change"] * s["level"] >= TREND_SIGMAS * s["robust_noise"]
    )
    trend_text = (  # half_change >= EPOCH_TREND > 0 when it is shown
        f"its level still fell by {_pct(s['half_change'] / (1 + s['half_change']))} over the "
        f"last 60% (threshold {_pct(EPOCH_TREND / (1 + EPOCH_TREND))}): the noise of epoch "
        "means on a falling trend"
        if falling_epochs
        else ""
    )
    if spike and falling_epochs:
        ev.append(f"note: {spike_text}, but {trend_text}")
    elif spike and (not settled or s["max_rise"] >= BIG_SPIKE):
        ev.append(spike_text)
        hows.append("the loss spikes")
    elif spike:
        ev.append(f"note: {spike_text}, but it settled near its floor since")
    cycle = NOISY_CYCLE_AMPLITUDE if smoothed else CYCLE_AMPLITUDE
    cycling = (
        s["rise_fraction"] >= CYCLE_FRACTION
        and s["level"] > LEVEL_DONE
        and s["typical_rise"] >= cycle * s["level"]
        and s["typical_rise"] >= CYCLE_SIGMAS * sem
        and s["half_change"] < CYCLE_TREND
    )
    if cycling and falling_epochs:
        ev.append(
            f"note: in the second half ({late}) the loss rises at "
            f"{_pct(s['rise_fraction'])} of the epochs, but {trend_text}"
        )
    elif cycling and "the loss spikes" not in hows:
        ev.append(
            f"in the second half ({late}) the loss rises at {_pct(s['rise_fraction'])} "
            f"of the {curve.unit}s (threshold {_pct(CYCLE_FRACTION)}), by a median "
            f"{_pct(s['typical_rise'] / s['level'])} of its level (threshold "
            f"{_pct(cycle)}): it oscillates"
        )
        hows.append("the loss oscillates")
    growing = s.get("noise_growth", 1.0) >= NOISE_GROWTH and s["gain"] < GAIN_LOW
    if smoothed and growing and s["level"] > LEVEL_DONE and not hows:
        ev.append(
            f"the {curve.unit}-to-{curve.unit} swings of the loss over the last 30% of the "
            f"run are {s['noise_growth']:.3g}x those of the 30% before (threshold "
            f"{NOISE_GROWTH:g}x): the oscillation grows"
        )
        hows.append("the oscillation grows")
    blown_first = curve.unit == "epoch" and not smoothed and s["first_drop"] >= FIRST_EPOCH_DROP
    if blown_first and s["max_jump"] >= EPOCH_JUMP and not hows:
        ev.append(
            f"the first epoch's loss is {s['first_drop']:.3g}x the second's (threshold "
            f"{FIRST_EPOCH_DROP:g}x: the first epoch's mean holds a blow-up) and at "
            f"{_at(curve, s['max_jump_index'])} the loss still multiplies by "
            f"{s['max_jump']:.3g} in one epoch (threshold {EPOCH_JUMP:g}x): the steps are "
            "unstable, and the fall from the first epoch is the blow-up receding"
        )
        hows.append("the loss jumps")
    if not hows and s["peak"] >= PEAK_FACTOR:
        ev.append(
            f"note: the loss overshot to {s['peak']:.3g}x its start at "
            f"{_at(curve, s['peak_index'])} before settling; a lower rate is safer"
        )
    return hows


def _stalled(curve: Curve, s: dict[str, Any], ev: list[str]) -> tuple[str, str]:
    """The verdict on a curve whose loss no longer falls."""
    grad = s.get("grad_ratio")
    converged = ADVICE["converged"].format(where=f" at {_pct(s['level'])} of its starting value")
    if s["level"] <= LEVEL_DONE:
        ev.append(
            f"it ends at {s['level']:.3g} of its starting loss (near its floor: "
            f"threshold {LEVEL_DONE:g})"
        )
        return "converged", converged
    if curve.engine_converged:
        ev.append(f"the run stopped because {curve.stop_reason}")
        return "converged", converged
    if grad is not None:
        grad_text = (
            f"the gradient norm ends at {s['grad_end']:.3g}, {_pct(grad)} of its "
            f"largest ({s['grad_max']:.3g})"
        )
        if grad <= GRAD_SMALL:
            ev.append(f"{grad_text}: small (threshold {_pct(GRAD_SMALL)})")
            return "converged", converged
        if s["progress"] >= PLATEAU_PROGRESS and grad >= GRAD_BOUNCE:
            ev.append(
                f"{grad_text} (threshold {_pct(GRAD_BOUNCE)}) although the loss no "
                f"longer moves: the steps bounce across a valley"
            )
            how = "the loss is stuck while the gradient stays large"
            return "too_high", ADVICE["too_high"].format(how=how)
        ev.append(f"{grad_text}: not small (threshold {_pct(GRAD_SMALL)})")
        return "plateau", ADVICE["plateau"]
    if s["progress"] < PLATEAU_PROGRESS:
        ev.append(
            f"the run removed only {_pct(s['progress'])} of the starting loss "
            f"(threshold {_pct(PLATEAU_PROGRESS)}): it never left its start"
        )
        label, _, advice = _never_left(s, ev)
        return label, advice
    ev.append(f"it removed {_pct(s['progress'])} of the starting loss before levelling off")
    return "converged", converged


def _falling(curve: Curve, s: dict[str, Any], ev: list[str]) -> tuple[str, str]:
    """The verdict on a curve whose loss is still falling."""
    grad = s.get("grad_ratio")
    low = min(s["level"], s["end_level"])
    if low <= CONVERGED_LEVEL:
        ev.append(
            f"it is already at {low:.3g} of its starting loss (threshold {CONVERGED_LEVEL:g})"
        )
        return "converged", ADVICE["converged"].format(where="")
    if curve.engine_converged and s["rebound"] < REBOUND:
        ev.append(f"the run stopped because {curve.stop_reason}")
        return "converged", ADVICE["converged"].format(where="")
    if s["progress"] < PLATEAU_PROGRESS and grad is None:
        ev.append(
            f"the run removed only {_pct(max(s['progress'], 0.0))} of the starting loss "
            f"(threshold {_pct(PLATEAU_PROGRESS)}): it has hardly left its start"
        )
        return "too_low", ADVICE["too_low"]
    ev.append(
        f"at its current pace, running as long again would lower the loss by a further "
        f"{_pct(s['gain'])} of its starting value (threshold {_pct(GAIN_LOW)})"
    )
    # a curve read as it is (a per-epoch log, whose points average the batches, or a full-
    # batch run) that still falls but rises at a quarter of its points: its fall per point
    # is within one noise of a point (a fall d under noise sigma rises with probability
    # Phi(-d / (sqrt(2) sigma)), 0.25 at d = 0.95 sigma). That noise is the steps' own: a
    # whole-data mean has no batch sampling noise, and the iterate's jitter grows with the
    # rate, so a higher rate adds noise faster than it speeds the fall. A smoothed per-step
    # log is not read this way: its block means keep the batches' noise whatever the rate.
    if s["gain"] >= GAIN_LOW and s.get("block", 1) == 1 and s["rise_fraction"] >= NOISY_FALL:
        ev.append(
            f"but its loss rises at {_pct(s['rise_fraction'])} of the {curve.unit}s of the "
            f"second half (threshold {_pct(NOISY_FALL)}): the fall per {curve.unit} is down "
            "to the size of its noise, which a higher rate would raise, not speed"
        )
        return "healthy", NOISE_LIMITED_ADVICE
    if s["gain"] >= GAIN_LOW:
        return "too_low", ADVICE["too_low"]
    # a fall that slowed far above zero without the noise of a right rate: at a right rate
    # the steps' own noise shows in a curve read as it is (the epoch means of a mini-batch
    # run bounce); a rate too low crawls, smooth, down a slope it is slow to leave, and its
    # fall slows long before its floor. Development data (the foreign corpus's tuning and
    # spent parts, descend's own): 31 runs this rule reads were too low, 6 right.
    moves = s["n"] - s["second_half_from"] - 1
    smooth = s.get("block", 1) == 1 and s["rise_fraction"] < SMOOTH_RISES
    if grad is None and smooth and moves >= SMOOTH_MOVES and s["level"] >= SMOOTH_LEVEL:
        ev.append(
            f"it slows down at {_pct(s['level'])} of its starting loss (threshold "
            f"{_pct(SMOOTH_LEVEL)}) and rises at {_pct(s['rise_fraction'])} of the "
            f"{moves} {curve.unit}s of its second half (threshold {_pct(SMOOTH_RISES)}): a "
            "smooth crawl, without the noise a right rate's steps leave in the loss"
        )
        return "too_low", ADVICE["too_low"]
    if grad is not None and grad > GRAD_SMALL and s["level"] > LEVEL_DONE:
        ev.append(
            f"the gradient norm ends at {s['grad_end']:.3g}, {_pct(grad)} of its largest "
            f"({s['grad_max']:.3g}): not small (threshold {_pct(GRAD_SMALL)}), so the "
            f"slowing loss is crawling, not converging"
        )
        return "too_low", ADVICE["too_low"]
    return "healthy", ADVICE["healthy"]


def _never_left(s: dict[str, Any], ev: list[str]) -> tuple[str, list[str], str]:
    """A run that never left its start: ``plateau`` when it visibly stopped moving: its loss
    fell by less than ``STALL`` of its level over the last 60% (``half_change``) and its
    curve is smooth enough to see that (not read through block means, and the noise of one
    value below ``STALL`` of the level): it sits on a flat region; ``too_low`` otherwise: it
    still creeps down, or its noise hides whether it moves at all. Both say the rate is too
    low to leave the start. A curve that is 0 throughout (a non-negative loss at its floor
    from the first step) is ``converged``: there was nothing to remove."""
    if s["lowest"] == 0 and s["peak"] == 0:  # no loss below 0 and none above: all zeros
        ev.append("its loss is 0 from the first step to the last: at its floor from the start")
        return "converged", ev, ADVICE["converged"].format(where=" at 0")
    # `<=`: a curve that does not move at all (no noise, and a level of 0 when it sits on
    # the floor taken for a curve below zero) has stopped moving too
    smooth = s.get("block", 1) == 1 and s["noise"] <= STALL * s["level"]
    if smooth and s["half_change"] < STALL:
        ev.append(
            f"its loss no longer moves (it fell by {_pct(max(s['half_change'], 0.0))} of its "
            f"level over the last 60%; threshold {_pct(STALL)}): it sits on a flat region"
        )
        return "plateau", ev, ADVICE["plateau"]
    ev.append("its loss creeps down, or its wiggles are batch noise")
    return "too_low", ev, ADVICE["too_low"]


def decide(curve: Curve, s: dict[str, Any]) -> tuple[str, list[str], str]:
    """The label, the evidence lines and the advice for a finite curve with statistics ``s``
    (the order of the rules is in the module docstring)."""
    blown = _blown_up(curve, s)
    if blown:
        return "diverged", blown, ADVICE["diverged"]
    ev: list[str] = []
    if s["from_floor"]:  # measured from its start, on the scale of its range
        rise = s["end_level"]
        above = rise * s["scale"] >= (RISE_END - 1) * abs(s["start"])  # as RISE_END does
        if above and rise >= FLOOR_RISE and rise >= RISE_SIGMAS * s["robust_noise"]:
            ev.append(
                f"the loss starts at its lowest value ({s['start']:.4g}) and ends "
                f"{rise * s['scale']:.3g} above it, {_pct(rise)} of the way up its range: "
                "the run made it worse"
            )
            return "too_high", ev, ADVICE["too_high"].format(how="the loss rises")
    # a loss that jumps by NEVER_LEFT_JUMP of its start in one move of the second half, and
    # whose every move is NEVER_LEFT_NOISE of it, is thrown about by its steps, not creeping
    # near its start: the instability rules read it first (a run they do not find unstable
    # still ends as one that never left its start, in _stalled or _falling)
    thrown = (
        not s["from_floor"]  # (measured on its range, any rise is large)
        and s["max_rise"] >= NEVER_LEFT_JUMP
        and s["robust_noise"] >= NEVER_LEFT_NOISE
    )
    never_left = s["progress"] < PLATEAU_PROGRESS and s["peak"] < NEVER_LEFT_PEAK and not thrown
    # a gradient norm or the engine's own stop rule (gradient tolerance, float precision)
    # tells a minimum next to the start from a run that cannot leave it: the rules below
    if never_left and "grad_ratio" not in s and not curve.engine_converged:
        ev.append(
            f"the loss starts at its lowest value ({s['start']:.4g}) and ends near it: it "
            "never left its start"
            if s["from_floor"]
            else f"the run removed only {_pct(max(s['progress'], 0.0))} of the starting loss "
            f"(threshold {_pct(PLATEAU_PROGRESS)}) and never rose above {s['peak']:.3g}x its "
            f"start (threshold {NEVER_LEFT_PEAK:g}x): it never left its start"
        )
        return _never_left(s, ev)
    hows = _unstable(curve, s, ev)
    if hows:
        return "too_high", ev, ADVICE["too_high"].format(how=" and ".join(hows[:2]))
    tail = _span(curve, s["window_from"])
    if s["level"] >= HELD_ABOVE:  # a rise too noisy for _unstable's gates is still a rise
        ev.append(
            f"over {tail} the loss stays at {s['level']:.3g}x its starting value on average "
            f"(threshold {HELD_ABOVE:g}x): the steps threw it up and it has not come back"
        )
        return "too_high", ev, ADVICE["too_high"].format(how="the loss rises")
    if s["half_change"] < STALL:
        ev.append(
            f"over {tail} the loss fell by {_pct(max(s['half_change'], 0.0))} of its "
            f"level (stalled: below {_pct(STALL)})"
        )
        label, advice = _stalled(curve, s, ev)
    elif s["level"] <= CONVERGED_LEVEL:  # still falling in relative terms, but at its floor
        ev.append(
            f"the loss is down to {s['level']:.3g} of its start (below {CONVERGED_LEVEL:g}: "
            "converged, though it still falls in relative terms)"
        )
        label, advice = _stalled(curve, s, ev)
    else:
        ev.append(
            f"over {tail} the loss is still falling: by {_pct(s['half_change'])} of its "
            f"level (stalled would be below {_pct(STALL)})"
        )
        label, advice = _falling(curve, s, ev)
    return label, ev, advice


def decide_short(curve: Curve) -> tuple[str, list[str], str] | None:
    """The verdict on a finite curve too short for its shape to be read, when there is one:
    blown up, or stopped by the engine at its gradient tolerance."""
    loss = curve.loss
    baseline = min(0.0, float(np.min(loss)))
    start = float(loss[0]) - baseline
    if start > 0 and len(loss) > 1 and (float(np.max(loss)) - baseline) >= BLOWUP_FACTOR * start:
        top = int(np.argmax(loss))
        ratio = (float(loss[top]) - baseline) / start
        return (
            "diverged",
            [
                f"the loss at {_at(curve, top)} is {ratio:.3g}x the starting loss "
                f"(threshold {BLOWUP_FACTOR:g}x): it blew up"
            ],
            ADVICE["diverged"],
        )
    if curve.engine_converged:
        return (
            "converged",
            [f"the run stopped because {curve.stop_reason}"],
            ADVICE["converged"].format(where=""),
        )
    return None


def first_nonfinite(loss: np.ndarray) -> int:
    """Index of the first NaN or infinite loss, or -1."""
    bad = ~np.isfinite(loss)
    return int(np.argmax(bad)) if bad.any() else -1
