"""What the Face tab needs beyond the UI: face targets from the registry, a model's variants and
example photos. (The crop pipeline itself is :mod:`xdomain.face`.)"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from PIL import Image

from xdomain import registry
from xdomain.data import resolve_root
from xdomain.metrics import bars

VARIANT_ORDER = {"gan": (0, "GAN"), "gan_recon": (1, "GAN + recon"), "discogan": (2, "DiscoGAN")}  # Fig. 2 order
CELEBA_FILES = ("celeba/faces_64.tar", "celeba/faces_64.csv")


def celeba_available(root=None) -> bool:
    """Whether the CelebA faces are under the data root (the random test face needs them)."""
    r = resolve_root(root)
    return all((r / f).is_file() for f in CELEBA_FILES)


def variants_of(name: str) -> list[str]:
    """The checkpoint and those registered as its baselines (``extra["baseline_of"]``)."""
    return [name] + [c.name for c in registry.CHECKPOINTS.values() if c.extra.get("baseline_of") == name]


def is_face_model(model) -> bool:
    """Trained on CelebA faces (its inputs are face crops: uploads go through :func:`xdomain.face.face_crop`)."""
    return str(getattr(model.cfg, "dataset", "")).startswith("celeba")


def same_pair(name: str) -> list[str]:
    """Other Face-tab checkpoints trained on the same CelebA pair (e.g. DiscoGAN's and UNIT's Male ↔ Female),
    in registry order: the "other methods" comparison."""
    dataset = registry.get_checkpoint(name).dataset
    return [c.name for c in registry.checkpoints_for_tab("face") if c.dataset == dataset and c.name != name]


def method_title(name: str) -> str:
    """The paper's short name of a checkpoint's method ("DiscoGAN", "UNIT"), or the checkpoint's own title when
    the registry gives one (a variant beside the paper's model, e.g. "UNIT + L_ATTR")."""
    spec = registry.get_checkpoint(name)
    return spec.extra.get("title") or registry.get_method_spec(spec.method).title


def variant_label(model) -> tuple[int, str]:
    """(order, label) of a DiscoGAN variant, for the side-by-side comparison; other models sort last."""
    return VARIANT_ORDER.get(model.cfg.to_dict().get("variant", ""), (9, model.name))


def celeba_test_face(index: int, root=None) -> np.ndarray:
    """A CelebA *test*-identity face, uint8 [64, 64, 3] (already aligned: no detection needed)."""
    from xdomain.data import domains  # torch: imported when a face is first drawn, not to list the targets

    x, cols = domains.celeba_split(resolve_root(root), "test")
    return np.asarray(x[cols["index"][index % len(cols["index"])]])


def example_photo(index: int, root=None) -> np.ndarray:
    """A CelebA *test* face enlarged ×4 and pasted off-centre into a 640×480 grey 'photo'."""
    big = Image.fromarray(celeba_test_face(index, root)).resize((256, 256), Image.BICUBIC)
    canvas = Image.new("RGB", (640, 480), (128, 128, 128))
    canvas.paste(big, (300, 120))
    return np.asarray(canvas)


@dataclass(frozen=True)
class FaceTarget:
    """One choice of the Face tab: a face checkpoint in one direction, and whether it clears its bar."""

    value: str  # the dropdown value: "name" (one-way) or "name:a2b" / "name:b2a"
    checkpoint: str
    direction: str
    label: str  # e.g. "Female → Male (DiscoGAN)"
    offered: bool  # clears its quality bar: a normal choice; else listed as experimental
    figures: str  # the stored figures against the bar, e.g. "flipped 98.0%, kept 84.4% (bar 85%), diversity 0.99"
    two_way: bool


def face_targets(load: Callable[[str], Any]) -> tuple[list[FaceTarget], list[str]]:
    """Every direction of every Face-tab checkpoint, offered or experimental by its bar (from the metrics
    stored in the checkpoint), and a message for each checkpoint that cannot be loaded. ``load`` is the
    caller's (cached) loader; it raises for a missing or broken checkpoint."""
    targets, problems = [], []
    for c in registry.checkpoints_for_tab("face"):
        try:
            m = load(c.name)
        except Exception as e:  # noqa: BLE001 - a broken checkpoint only drops its own choices
            problems.append(f"The checkpoint **{c.name}** could not be loaded: {getattr(e, 'message', e)}")
            continue
        metrics = m.checkpoint_meta.get("metrics", {}) or {}
        for d in m.directions:
            verdict = bars.check(c.bar, metrics, d)
            figures = verdict.summary(bars.BARS[c.bar]) if c.bar else ""
            value = c.name if not m.two_way else f"{c.name}:{d}"
            src, dst = (m.domain_names["AB".index(x)] for x in (("A", "B") if d == "a2b" else ("B", "A")))
            label = f"{src[:1].upper() + src[1:]} → {dst} ({method_title(c.name)})"
            targets.append(FaceTarget(value, c.name, d, label, verdict.passed, figures, m.two_way))
    return targets, problems
