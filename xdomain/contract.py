"""The translator contract's vocabulary, torch-free: what the app's pages need to describe a model
before any model code is imported (issue 18: the app builds its pages without torch).

:mod:`xdomain.methods.base` (the contract itself) and :mod:`xdomain.explore` re-export these names.
"""
from __future__ import annotations

DIRECTIONS: dict[str, tuple[str, str]] = {"a2b": ("A", "B"), "b2a": ("B", "A")}  # direction → (source, target)
LATENTS = ("none", "shared", "shared+exclusive")
SIDES = ("A", "B")
PARTS = ("shared", "exclusive", "both")  # what an interpolation or analogy moves
FEATURES = ("shared", "exclusive", "pixels")  # what retrieval compares


def direction_sides(direction: str) -> tuple[str, str]:
    """``"a2b"`` → ``("A", "B")`` (source side, target side)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    return DIRECTIONS[direction]


def check_side(side: str) -> str:
    if side not in SIDES:
        raise ValueError(f"side must be 'A' or 'B', got {side!r}")
    return side


def other(side: str) -> str:
    return "B" if check_side(side) == "A" else "A"


def exclusive_dim(model) -> int:
    """Size of the exclusive code a model lets us set (``latent == "shared+exclusive"``), else 0."""
    return int(model.code_dim) if model.latent == "shared+exclusive" else 0
