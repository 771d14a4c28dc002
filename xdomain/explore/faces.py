"""What the Face tab needs beyond the UI: face targets from the registry, a model's variants and
example photos. (The crop pipeline itself is :mod:`xdomain.face`.)"""
from __future__ import annotations

import numpy as np
from PIL import Image

from xdomain import registry
from xdomain.data import domains, resolve_root

VARIANT_ORDER = {"gan": (0, "GAN"), "gan_recon": (1, "GAN + recon"), "discogan": (2, "DiscoGAN")}  # Fig. 2 order
CELEBA_FILES = ("celeba/faces_64.tar", "celeba/faces_64.csv")


def celeba_available(root=None) -> bool:
    """Whether the CelebA faces are under the data root (the random test face needs them)."""
    r = resolve_root(root)
    return all((r / f).is_file() for f in CELEBA_FILES)


def variants_of(name: str) -> list[str]:
    """The checkpoint and those registered as its baselines (``extra["baseline_of"]``)."""
    return [name] + [c.name for c in registry.CHECKPOINTS.values() if c.extra.get("baseline_of") == name]


def variant_label(model) -> tuple[int, str]:
    """(order, label) of a DiscoGAN variant, for the side-by-side comparison; other models sort last."""
    return VARIANT_ORDER.get(model.cfg.to_dict().get("variant", ""), (9, model.name))


def celeba_test_face(index: int, root=None) -> np.ndarray:
    """A CelebA *test*-identity face, uint8 [64, 64, 3] (already aligned: no detection needed)."""
    x, cols = domains.celeba_split(resolve_root(root), "test")
    return np.asarray(x[cols["index"][index % len(cols["index"])]])


def example_photo(index: int, root=None) -> np.ndarray:
    """A CelebA *test* face enlarged ×4 and pasted off-centre into a 640×480 grey 'photo'."""
    big = Image.fromarray(celeba_test_face(index, root)).resize((256, 256), Image.BICUBIC)
    canvas = Image.new("RGB", (640, 480), (128, 128, 128))
    canvas.paste(big, (300, 120))
    return np.asarray(canvas)
