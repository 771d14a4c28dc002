"""Exploring trained translators (gradio-free; the app's tabs, notebooks and tests use it).

* :mod:`~xdomain.explore.codes`      diverse / guided translation, analogies, interpolation (also in both
                                     domains of a shared latent space), round trips
* :mod:`~xdomain.explore.retrieval`  cross-domain nearest neighbours (Table 1, Fig. 4b)
* :mod:`~xdomain.explore.images`     display helpers and GIFs
* :mod:`~xdomain.explore.drawing`    free-hand digits rendered into a domain
* :mod:`~xdomain.explore.testdata`   cached test splits for galleries
* :mod:`~xdomain.explore.examples`   which test images a view opens on (contrasting, faithfully translated)
* :mod:`~xdomain.explore.faces`      face targets, variants and example photos for the Face tab

Everything reads the :class:`~xdomain.methods.base.Translator` contract, never a method's name.

The names below are imported from their submodule on first use (PEP 562), so importing a torch-free
part — the contract's vocabulary (:mod:`xdomain.contract`: ``SIDES``, ``direction_sides``,
``exclusive_dim`` …) or :mod:`~xdomain.explore.faces` — does not import torch (the app builds its pages
without it).
"""
from __future__ import annotations

import importlib

_FROM = {
    "xdomain.contract": ("DIRECTIONS", "FEATURES", "PARTS", "SIDES", "check_side", "direction_sides", "exclusive_dim",
                         "other"),
    "xdomain.explore.codes": ("analogy_grid", "analogy_sheet", "apply_sequence", "exclusive_code", "interpolate",
                              "interpolate_shared", "random_codes", "require_codes", "require_shared",
                              "round_trip_drift", "round_trips", "shared_code", "translate_diverse",
                              "translate_with_code"),
    "xdomain.explore.drawing": ("DRAWING_RENDERERS", "mnist_canvas", "render_drawing"),
    "xdomain.explore.examples": ("contrasting_index", "faithful_index"),
    "xdomain.explore.images": ("from_uint8_hwc", "side_by_side", "to_uint8_hwc", "upscale", "write_gif"),
    "xdomain.explore.retrieval": ("Hit", "RetrievalIndex", "share_from_other"),
    "xdomain.explore.testdata": ("test_domains",),
}
_WHERE = {name: module for module, names in _FROM.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
