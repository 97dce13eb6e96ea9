"""Importing descend's figures changes no global state: the user's matplotlib backend stays
what it was (no ``matplotlib.use``, no pyplot), and the figures still draw and save."""

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import matplotlib

    before = matplotlib.get_backend()
    import descend as ds
    import descend.insight.animate
    import descend.insight.plots
    import descend.insight.tour
    after_import = matplotlib.get_backend()

    out = Path(sys.argv[1])
    surface = ds.surfaces.get("rosenbrock")
    runs = ds.compare(surface, None, {"gd": ds.gd(0.0015)}, max_steps=30)
    ds.insight.plots.loss_curves(runs, path=out / "loss.png")
    ds.insight.plots.race_figure(surface, runs, path=out / "race.svg")
    descend.insight.animate.animate_race(surface, runs, path=out / "race.gif", frames=3)
    print(json.dumps({
        "before": before,
        "after_import": after_import,
        "after_drawing": matplotlib.get_backend(),
        "pyplot": "matplotlib.pyplot" in sys.modules,
    }))
    """
)


def test_importing_and_drawing_leave_the_backend_alone(tmp_path):
    env = {**os.environ, "MPLBACKEND": "svg", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] == "svg"
    assert seen["after_import"] == "svg" and seen["after_drawing"] == "svg"
    assert not seen["pyplot"]  # the figures are drawn without pyplot's global figure manager
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "race.svg").read_bytes()[:500]
    assert (tmp_path / "race.gif").read_bytes()[:6] in (b"GIF89a", b"GIF87a")
