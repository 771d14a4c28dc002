"""Modules the UI imports on first use, so that building the app imports no torch (issue 18: cold start).

Building the Blocks needs only Gradio, the registry and each checkpoint's ``config.json``; torch (≈1.5 s
to import on the 2-core machine) and the model code are first needed by a handler or by the background
warm-up that starts once the page is served. A tab module therefore binds, e.g., ``torch = lazy("torch")``
instead of ``import torch``: the name works as the module does, and the import happens at its first
attribute access. ``tests/test_ui_defaults.py`` checks that building the app imports no torch.
"""
from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    """Stands for the module ``name``; imports it (once: ``sys.modules`` caches it) on first attribute access."""

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def _module(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __getattr__(self, attr: str):
        return getattr(self._module(), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy(name: str) -> LazyModule:
    """``lazy("torch")`` in place of ``import torch`` (``lazy("torch.nn.functional")`` for ``F``)."""
    return LazyModule(name)
