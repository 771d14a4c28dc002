"""Helpers shared by test modules and fixtures (importable as ``support``; conftest is not a library)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a child process: this one's, plus the repo and tests on PYTHONPATH, one thread."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "tests"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.update(extra)
    return env


def importable_methods() -> list[str]:
    """Registered methods whose module imports (test_registry fails loudly for one that does not)."""
    from xdomain import registry

    names = []
    for name, spec in sorted(registry.METHODS.items()):
        try:
            spec.load()
        except Exception:  # noqa: BLE001 - a method still being written must not hide the others
            continue
        names.append(name)
    return names
