"""Named derived domains, deterministic under a seed. Configs refer to them by name.

``get_domains(name, root, split, seed)`` returns a dict of float tensors in ``[-1, 1]``
(``NCHW``) under keys ``"A"`` and ``"B"`` plus optional ``"label_A"``/``"label_B"`` and,
for paired domains, ``paired=True`` meaning row *i* of A and row *i* of B show the same source.

| name | A | B | paired |
|---|---|---|---|
| ``mnist_cd_cb`` | MNIST-CD: digit in a random colour on black | MNIST-CB: white digit on a random colour | yes |
| ``mnist_edge`` | MNIST | its edge map (CoGAN) | yes |
| ``mnist_negative`` | MNIST | its negative (CoGAN) | yes |
| ``usps_mnist`` | USPS (resized) | MNIST | no |
| ``usps20_mnist`` | USPS in MNIST's 20-px digit box | MNIST | no |
| ``mnist_usps20`` | MNIST in its own 28×28 frame | USPS in MNIST's 20-px digit box, 28×28 (CoGAN adaptation) | no |
| ``fashion_bags_shoes`` | Fashion-MNIST bags | sneakers + ankle boots | no |
| ``celeba_<Attr>`` | CelebA faces with Attr | without | no |
| ``celeba_blond_black`` | Blond_Hair (not Black_Hair) | Black_Hair (not Blond_Hair) | no |

Splits: MNIST-derived ``train`` = first 50,000 training images, ``val`` = last 10,000,
``test`` = the 10,000 test images (the paper's protocol); USPS ``val`` = the last 729 training digits
(a labelled target-validation split for choosing an adapted model; never trained on). CelebA uses the official
identity-disjoint partition.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from xdomain.data import sources
from xdomain.data.info import _INFO, DatasetInfo, dataset_info  # noqa: F401 - re-exported
from xdomain.registry import registrar

Builder = Callable[..., dict]
DATASETS: dict[str, Builder] = {}


register_dataset = registrar(DATASETS)  # @register_dataset("name") makes a derived domain loadable by name


def get_domains(name: str, root, split: str = "train", seed: int = 0, size: int | None = None) -> dict:
    if name.startswith("celeba_") and name not in DATASETS:
        return celeba_attribute(root, split, name[len("celeba_"):], size=size or 64)
    if name not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}, celeba_<Attribute>")
    kw = {"size": size} if size else {}
    return DATASETS[name](root, split, seed, **kw)


# ------------------------------------------------------------------------------ helpers
def to_tensor(x: np.ndarray) -> torch.Tensor:
    """uint8 [N,H,W] or [N,H,W,C] → float [N,C,H,W] in [-1, 1]."""
    t = torch.from_numpy(np.ascontiguousarray(x)).float().div_(127.5).sub_(1.0)
    return t.unsqueeze(1) if t.ndim == 3 else t.permute(0, 3, 1, 2).contiguous()


def resize(t: torch.Tensor, size: int) -> torch.Tensor:
    if t.shape[-1] == size:
        return t
    return F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False, antialias=True).clamp_(-1, 1)


def mnist_split(root, split: str) -> tuple[np.ndarray, np.ndarray]:
    if split == "test":
        return sources.load_mnist(root, "test")
    x, y = sources.load_mnist(root, "train")
    if split == "train":
        return x[:50000], y[:50000]
    if split == "val":
        return x[50000:], y[50000:]
    raise ValueError(f"split must be train/val/test, got {split!r}")


USPS_VAL = 729  # the last 729 USPS training digits are the validation split (as for the USPS judge)


def usps_split(root, split: str) -> tuple[np.ndarray, np.ndarray]:
    """USPS train / val (carved from the end of the official training set) / test."""
    if split == "test":
        return sources.load_usps(root, "test")
    x, y = sources.load_usps(root, "train")
    if split == "train":
        return x[:-USPS_VAL], y[:-USPS_VAL]
    if split == "val":
        return x[-USPS_VAL:], y[-USPS_VAL:]
    raise ValueError(f"split must be train/val/test, got {split!r}")


def pad32(x: np.ndarray) -> np.ndarray:
    return np.pad(x, ((0, 0), (2, 2), (2, 2)))  # 28 → 32, as is usual for MNIST GANs


def random_colours(n: int, seed: int, split: str, tag: str) -> np.ndarray:
    """[n,3] float colours in [0,1], one stream per (seed, split, domain)."""
    salt = {"train": 0, "val": 1, "test": 2}[split] * 10 + {"CD": 1, "CB": 2}[tag]
    return np.random.default_rng([seed, salt]).random((n, 3), dtype=np.float32)


def colour_digit(gray: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """MNIST-CD: the digit takes the colour, background stays black. uint8 [N,H,W,3]."""
    g = gray.astype(np.float32)[..., None] / 255.0
    return np.round(g * colours[:, None, None, :] * 255).astype(np.uint8)


def colour_background(gray: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """MNIST-CB: the digit stays white, the background takes the colour. uint8 [N,H,W,3]."""
    g = gray.astype(np.float32)[..., None] / 255.0
    return np.round((g + (1 - g) * colours[:, None, None, :]) * 255).astype(np.uint8)


# ------------------------------------------------------------------------------ datasets
@register_dataset("mnist_cd_cb")
def mnist_cd_cb(root, split: str = "train", seed: int = 0, size: int = 32) -> dict:
    x, y = mnist_split(root, split)
    x = pad32(x)
    a = colour_digit(x, random_colours(len(x), seed, split, "CD"))
    b = colour_background(x, random_colours(len(x), seed, split, "CB"))
    yt = torch.from_numpy(y)
    return {"A": resize(to_tensor(a), size), "B": resize(to_tensor(b), size), "label_A": yt, "label_B": yt.clone(),
            "paired": True, "names": ("MNIST-CD", "MNIST-CB")}


def edges(gray: np.ndarray) -> np.ndarray:
    """CoGAN's edge domain: 3×3 dilation minus the image (the outer contour of each digit), as the
    CoGAN authors' data tool makes it (FINDINGS, issue 15); uint8 [N, H, W] → uint8 [N, H, W]."""
    t = torch.from_numpy(gray).float().unsqueeze(1)
    dil = F.max_pool2d(t, 3, 1, 1)
    return (dil - t).clamp(0, 255).squeeze(1).to(torch.uint8).numpy()


@register_dataset("mnist_edge")
def mnist_edge(root, split: str = "train", seed: int = 0, size: int = 28) -> dict:
    x, y = mnist_split(root, split)
    yt = torch.from_numpy(y)
    return {"A": resize(to_tensor(x), size), "B": resize(to_tensor(edges(x)), size), "label_A": yt, "label_B": yt.clone(),
            "paired": True, "names": ("MNIST", "MNIST-edge")}


@register_dataset("mnist_negative")
def mnist_negative(root, split: str = "train", seed: int = 0, size: int = 28) -> dict:
    x, y = mnist_split(root, split)
    yt = torch.from_numpy(y)
    return {"A": resize(to_tensor(x), size), "B": resize(to_tensor(255 - x), size), "label_A": yt, "label_B": yt.clone(),
            "paired": True, "names": ("MNIST", "MNIST-negative")}


@register_dataset("usps_mnist")
def usps_mnist(root, split: str = "train", seed: int = 0, size: int = 32) -> dict:
    ux, uy = usps_split(root, split)
    mx, my = mnist_split(root, split)
    return {"A": resize(to_tensor(ux), size), "B": resize(to_tensor(pad32(mx)), size),
            "label_A": torch.from_numpy(uy), "label_B": torch.from_numpy(my), "paired": False, "names": ("USPS", "MNIST")}


def usps_in_mnist_box(x: np.ndarray) -> np.ndarray:
    """USPS [N,16,16] → [N,32,32] uint8 laid out like padded MNIST: the digit fills a centred 20×20 box.

    USPS digits fill their frame while MNIST's sit in a 20-pixel box; a classifier trained on
    full-frame USPS reads MNIST at chance (18 %), so DTN's f could not see the target at all.
    """
    t = resize(to_tensor(x), 20)  # [N, 1, 20, 20] in [-1, 1]
    t = F.pad(t, (6, 6, 6, 6), value=-1.0)  # black border → 32×32
    return ((t[:, 0] + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()


@register_dataset("usps20_mnist")
def usps20_mnist(root, split: str = "train", seed: int = 0, size: int = 32) -> dict:
    """As ``usps_mnist`` but with USPS in MNIST's 20-pixel digit box (:func:`usps_in_mnist_box`)."""
    ux, uy = usps_split(root, split)
    mx, my = mnist_split(root, split)
    return {"A": resize(to_tensor(usps_in_mnist_box(ux)), size), "B": resize(to_tensor(pad32(mx)), size),
            "label_A": torch.from_numpy(uy), "label_B": torch.from_numpy(my), "paired": False, "names": ("USPS", "MNIST")}


@register_dataset("mnist_usps20")
def mnist_usps20(root, split: str = "train", seed: int = 0, size: int = 28) -> dict:
    """``usps20_mnist`` with the sides swapped (A = MNIST, B = USPS: the CoGAN paper's D1, D2) in MNIST's own
    28×28 frame: the 32×32 frame cropped by 2 px a side (exactly undoing ``pad32``; USPS's 20-px box stays
    centred), then resized to ``size`` if that is not 28."""
    d = usps20_mnist(root, split, seed, 32)
    crop = lambda t: resize(t[..., 2:-2, 2:-2].contiguous(), size)  # noqa: E731
    return {"A": crop(d["B"]), "B": crop(d["A"]), "label_A": d["label_B"], "label_B": d["label_A"], "paired": False,
            "names": ("MNIST", "USPS")}


@register_dataset("fashion_bags_shoes")
def fashion_bags_shoes(root, split: str = "train", seed: int = 0, size: int = 32) -> dict:
    x, y = sources.load_fashion_mnist(root, "test" if split == "test" else "train")
    x = pad32(x)
    bags, shoes = x[y == 8], x[np.isin(y, [7, 9])]
    return {"A": resize(to_tensor(bags), size), "B": resize(to_tensor(shoes), size),
            "label_A": torch.full((len(bags),), 8), "label_B": torch.from_numpy(y[np.isin(y, [7, 9])]),
            "paired": False, "names": ("bags", "shoes")}


def celeba_split(root, split: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    x, cols = sources.load_celeba(root)
    keep = cols["split"] == split
    return x, {k: v[keep] for k, v in cols.items()} | {"index": np.nonzero(keep)[0]}


def celeba_columns(attrs) -> list[int]:
    """Column indices of CelebA attribute names; a KeyError naming the first unknown one."""
    for a in attrs:
        if a not in sources.CELEBA_ATTRS:
            raise KeyError(f"unknown CelebA attribute {a!r}; known: {', '.join(sources.CELEBA_ATTRS)}")
    return [sources.CELEBA_ATTRS.index(a) for a in attrs]


def celeba_attribute(root, split: str, attr: str, size: int = 64, negative: str | None = None) -> dict:
    """A = faces with ``attr``, B = faces without (or with ``negative``), identity-disjoint split."""
    celeba_columns([attr])
    x, cols = celeba_split(root, split)
    pos = cols[attr].copy()
    neg = ~cols[attr] if negative is None else cols[negative] & ~cols[attr]
    if negative is not None:
        pos &= ~cols[negative]
    ia, ib = cols["index"][pos], cols["index"][neg]
    attrs = np.stack([cols[a] for a in sources.CELEBA_ATTRS], 1)
    return {"A": resize(to_tensor(np.asarray(x[ia])), size), "B": resize(to_tensor(np.asarray(x[ib])), size),
            "attrs_A": torch.from_numpy(attrs[pos]), "attrs_B": torch.from_numpy(attrs[neg]),
            "paired": False, "names": (attr, negative or f"not {attr}")}


@register_dataset("celeba_blond_black")
def celeba_blond_black(root, split: str = "train", seed: int = 0, size: int = 64) -> dict:
    return celeba_attribute(root, split, "Blond_Hair", size, negative="Black_Hair")


def balancing_weights(attrs_a: torch.Tensor, attrs_b: torch.Tensor, max_ratio: float = 10.0
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row sampling weights that give two unpaired domains the same joint distribution of some
    binary attributes ([N_A, k] and [N_B, k] bool → [N_A], [N_B]).

    Each of the 2^k attribute combinations c has shares p_A(c), p_B(c); both domains are re-weighted
    to their geometric mean q(c) ∝ √(p_A(c)·p_B(c)) (a combination absent from one domain gets weight
    0 in the other: it has nothing to correspond to), so a row of combination c in domain s weighs
    q(c)/p_s(c), clipped to ``max_ratio`` times the domain's mean. A discriminator of domain B then sees
    e.g. as many young faces as G_AB receives, so changing age no longer helps fool it.
    """
    k = attrs_a.shape[1]
    pw = 2 ** torch.arange(k)
    ca, cb = (attrs_a.long() * pw).sum(1), (attrs_b.long() * pw).sum(1)
    pa = torch.bincount(ca, minlength=2 ** k).double() / len(ca)
    pb = torch.bincount(cb, minlength=2 ** k).double() / len(cb)
    q = (pa * pb).sqrt()
    q = q / q.sum()
    out = []
    for c, p in ((ca, pa), (cb, pb)):
        w = (q[c] / p[c]).float()
        w = w.clamp(max=max_ratio * w.mean().item())
        out.append(w / w.sum())
    return out[0], out[1]


def balance_weights_for(d: dict, balance) -> dict[str, torch.Tensor]:
    """Per-image sampling weights {"A": [N_A], "B": [N_B]} that give both domains of a CelebA pair the
    same joint distribution of the ``balance`` attributes (:func:`balancing_weights`)."""
    if "attrs_A" not in d:
        raise ValueError(f"balance={tuple(balance)!r} needs a CelebA dataset")
    cols = celeba_columns(balance)
    return dict(zip("AB", balancing_weights(d["attrs_A"][:, cols], d["attrs_B"][:, cols])))


def random_flips(batch: dict[str, torch.Tensor], seed: int, step: int, sides: str = "AB") -> dict[str, torch.Tensor]:
    """Each image of ``sides`` flipped left-right with probability ½, from a generator seeded by
    ``(seed, step)``: the D- and G-step of one iteration see the same flips."""
    g = torch.Generator().manual_seed(seed * 7919 + step)
    out = dict(batch)
    for s in sides:
        m = (torch.rand(len(batch[s]), generator=g) < 0.5).to(batch[s].device)
        out[s] = torch.where(m[:, None, None, None], batch[s].flip(-1), batch[s])
    return out


# ------------------------------------------------------------------------------ parametric avatars
AVATAR_SPLITS = {"train": 10000, "val": 1000, "test": 1000}  # avatars rendered (and cached) per split


def register_avatar_datasets() -> None:
    """``avatars_<style>`` (one per :data:`xdomain.data.avatars.STYLES`): rendered DiceBear avatars as
    domain B only, ``{"B": [N,3,64,64] in [-1,1], "labels_B": {attribute: int64 [N]}, "tone_B": [N]}``
    (see :mod:`xdomain.data.avatars`); generated on first use into the cache dir. Split ``s`` of seed
    ``k`` is avatar dataset seed ``3k + index(s)``, so splits and seeds never share an avatar stream."""
    from xdomain.data import avatars

    for style in avatars.STYLES:
        name = f"avatars_{style.replace('-', '_')}"

        def build(root, split: str = "train", seed: int = 0, size: int = 64, _style: str = style) -> dict:
            if split not in AVATAR_SPLITS:
                raise ValueError(f"split must be train/val/test, got {split!r}")
            d = avatars.avatar_dataset(_style, AVATAR_SPLITS[split], 3 * seed + list(AVATAR_SPLITS).index(split))
            t = avatars.to_tensors(d)
            return {"B": resize(t["images"], size), "labels_B": {a: t[a] for a in avatars.ATTRS},
                    "tone_B": t["tone"], "paired": False, "names": ("", f"{_style} avatar")}

        register_dataset(name)(build)
        _INFO[name] = DatasetInfo(name, ("", f"{style} avatar"), 3, 64, "",
                                  f"DiceBear '{style}' avatars labelled by their own options "
                                  f"({avatars.STYLE_LICENSES[style]})")


register_avatar_datasets()
