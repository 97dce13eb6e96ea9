"""What `make demo` installs is enough for the demo: `descend race` runs with only the core
dependencies (jax and numpy), so none of the extras may be imported on its way."""

import subprocess
import sys

EXTRAS = ["matplotlib", "sklearn", "PIL", "pandas", "optax", "torch", "fastapi", "optuna", "ray"]

BLOCKER = f"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {EXTRAS!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: not core)")
sys.meta_path.insert(0, Block())
from descend.cli import main
raise SystemExit(main(["race", "--steps", "200"]))
"""


def test_demo_needs_only_the_core_dependencies():
    proc = subprocess.run([sys.executable, "-c", BLOCKER], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "descend race on rosenbrock" in proc.stdout


def test_the_blocker_blocks():
    """The check above would see an import of an extra: the same blocker stops one."""
    code = BLOCKER.replace("from descend.cli import main", "import matplotlib")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0 and "blocked: not core" in proc.stderr
