"""The public surface is deliberate: `docs/api.md` lists exactly the names each public
namespace exports (its `__all__`), and every other module is private (a leading underscore)."""

import importlib
import re
from pathlib import Path

import descend as ds

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api.md"
#: the modules a user imports by name; every other module file is private
PUBLIC_MODULES = {
    "descend/optim/schedules.py",
    "descend/optim/registry.py",
    "descend/problems/models.py",
    "descend/problems/metrics.py",
    "descend/insight/animate.py",
}


def documented() -> dict[str, list[str]]:
    sections, current = {}, None
    for line in API.read_text().splitlines():
        if m := re.fullmatch(r"## `([\w.]+)`", line):
            current = sections.setdefault(m[1], [])
        elif current is not None and (m := re.match(r"\| `(\w+)` \|", line)):
            current.append(m[1])
    return sections


def namespace(name: str):
    return getattr(ds, name[3:]) if name.startswith("ds.") else importlib.import_module(name)


def test_every_public_namespace_is_documented_name_for_name():
    sections = documented()
    assert {"descend", "ds.surfaces", "descend.sklearn", "descend.cli"} <= set(sections)
    for name, listed in sections.items():
        exported = [n for n in namespace(name).__all__ if not n.startswith("__")]
        assert sorted(listed) == sorted(set(exported)), name
        for n in exported:
            assert hasattr(namespace(name), n), f"{name}.{n} is in __all__ but missing"


def test_the_star_import_gives_exactly_the_documented_names():
    scope: dict = {}
    exec("from descend import *", scope)  # the test's own fixed text
    assert sorted(k for k in scope if not k.startswith("__")) == sorted(documented()["descend"])


def test_modules_are_private_unless_public_by_design():
    src = ROOT / "src"
    for path in (src / "descend").rglob("*.py"):
        rel = path.relative_to(src).as_posix()
        if path.name.startswith("_") or path.parent == src / "descend":
            continue
        assert rel in PUBLIC_MODULES, f"{rel}: a module with a public name that is not listed"


def test_dir_of_a_public_namespace_lists_what_it_exports():
    # tab completion and help() show the API and its subpackages, not the modules a
    # namespace imports to do its work (jax, np, check, TYPE_CHECKING, ...)
    for name in documented():
        ns = namespace(name)
        shown = {n for n in dir(ns) if not n.startswith("_")}
        exported = {n for n in ns.__all__ if not n.startswith("__")}
        assert exported <= shown, name
        for extra in shown - exported:
            module = getattr(ns, extra)
            assert getattr(module, "__name__", "") == f"{ns.__name__}.{extra}", (name, extra)
    assert "TYPE_CHECKING" not in dir(ds) and "jnp" not in dir(ds.schedules)
