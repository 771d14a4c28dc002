"""Loaders for the raw staged datasets (uint8 numpy arrays; nothing is copied into the repo).

Each loader names the files it expects; a missing one raises :class:`DatasetMissingError`
saying which files, where, and how to get them.
"""
from __future__ import annotations

import csv
import hashlib
import os
import tarfile
from functools import lru_cache
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
CELEBA_ATTRS = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose Black_Hair "
    "Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup "
    "High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose "
    "Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat "
    "Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young"
).split()
# Official CelebA partition by file id; identity-disjoint on the staged subset.
CELEBA_SPLITS = {"train": (1, 162770), "val": (162771, 182637), "test": (182638, 202599)}


class DatasetMissingError(FileNotFoundError):
    def __init__(self, name: str, files: list[Path], hint: str = ""):
        self.name, self.files = name, files
        msg = f"dataset {name!r} not found: expected {', '.join(str(f) for f in files)}"
        msg += ". Set --data-root or XDOMAIN_DATA to the folder holding it"
        if hint:
            msg += f"; {hint}"
        super().__init__(msg)


def resolve_root(root: str | os.PathLike | None = None) -> Path:
    """--data-root > $XDOMAIN_DATA > ../shared/data beside the repo > ~/.cache/xdomain/data."""
    if root:
        return Path(root).expanduser()
    env = os.environ.get("XDOMAIN_DATA")
    if env:
        return Path(env).expanduser()
    shared = REPO_ROOT.parent / "shared" / "data"
    if shared.is_dir():
        return shared
    return Path.home() / ".cache" / "xdomain" / "data"


def cache_dir() -> Path:
    d = Path(os.environ.get("XDOMAIN_CACHE", Path.home() / ".cache" / "xdomain"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _need(root: Path, name: str, rel: str, hint: str = "") -> Path:
    p = Path(root) / rel
    if not p.is_file():
        raise DatasetMissingError(name, [p], hint)
    return p


@lru_cache(maxsize=8)
def _npz(path: str) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as d:
        return {k: d[k] for k in d.files}


def _split_xy(d: dict[str, np.ndarray], split: str) -> tuple[np.ndarray, np.ndarray]:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return d[f"x_{split}"], d[f"y_{split}"].astype(np.int64)


def load_mnist(root: Path, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(x uint8 [N,28,28] white-on-black, y int64 [N])."""
    p = _need(root, "mnist", "mnist/mnist.npz",
              "xdomain.data.sources.fetch_mnist(root) downloads it with torchvision where there is internet")
    return _split_xy(_npz(str(p)), split)


def fetch_mnist(root: Path) -> Path:
    """Download MNIST with torchvision's real loader and store it as ``<root>/mnist/mnist.npz``."""
    from torchvision.datasets import MNIST

    folder = Path(root) / "mnist"
    arrays = {}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for split, train in (("train", True), ("test", False)):
            ds = MNIST(str(folder / "torchvision"), train=train, download=True)
            arrays[f"x_{split}"] = ds.data.numpy().astype(np.uint8)
            arrays[f"y_{split}"] = ds.targets.numpy().astype(np.uint8)
    except (OSError, RuntimeError) as e:  # no internet, mirror down, read-only data root
        raise DatasetMissingError("mnist", [folder / "mnist.npz"], f"downloading it with torchvision failed ({e})") from e
    out = folder / "mnist.npz"
    tmp = folder / f".mnist.{os.getpid()}.tmp.npz"
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, out)
    _npz.cache_clear()
    return out


# Datasets the app may download for a user who has none (name in DatasetMissingError → fetcher).
FETCHERS = {"mnist": fetch_mnist}


def load_fashion_mnist(root: Path, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    p = _need(root, "fashion_mnist", "fashion_mnist/fashion_mnist.npz", "Debian: apt-get install dataset-fashion-mnist")
    return _split_xy(_npz(str(p)), split)


def load_usps(root: Path, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(x uint8 [N,16,16], y)."""
    p = _need(root, "usps", "usps/usps.npz")
    return _split_xy(_npz(str(p)), split)


def load_emoji(root: Path, *, vendors: tuple[str, ...] | None = None, subcategories: tuple[str, ...] | None = None,
               skin_tones: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """Emoji images [N,64,64,3] uint8 on white plus their metadata columns, filtered.

    ``subcategories`` entries ending in ``*`` are prefixes (``"face-*"``).
    """
    p = _need(root, "emoji", "emoji/emoji_faces_64.npz")
    d = _npz(str(p))
    keep = np.ones(len(d["images"]), bool)
    if vendors:
        keep &= np.isin(d["vendor"].astype(str), vendors)
    if subcategories:
        sub = d["subcategory"].astype(str)
        m = np.zeros_like(keep)
        for s in subcategories:
            m |= np.char.startswith(sub, s[:-1]) if s.endswith("*") else (sub == s)
        keep &= m
    if skin_tones:
        keep &= np.isin(d["skin_tone"].astype(str), skin_tones)
    return {k: v[keep] for k, v in d.items()}


def _content_key(path: Path, chunk: int = 1 << 20) -> str:
    """A cheap content key: the size and the first and last MiB, not the path or mtime that staging the same
    file again changes (a rebuilt tar almost surely changes its size or its ends)."""
    h, size = hashlib.sha1(), path.stat().st_size
    with open(path, "rb") as f:
        h.update(f"{size}:".encode() + f.read(chunk))
        f.seek(max(0, size - chunk))
        h.update(f.read(chunk))
    return h.hexdigest()[:12]


def load_celeba(root: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """All staged CelebA faces: (x uint8 [N,64,64,3], columns: file, identity, split, <40 attributes>).

    Decoding 46,715 JPEGs takes ~20 s, so the array is cached once in ``$XDOMAIN_CACHE``, keyed by the tar's
    content (:func:`_content_key`), so the same data staged again (a new path or mtime) reuses the cache.
    """
    tar, csv_path = Path(root) / "celeba" / "faces_64.tar", Path(root) / "celeba" / "faces_64.csv"
    missing = [p for p in (tar, csv_path) if not p.is_file()]
    if missing:
        raise DatasetMissingError("celeba", missing)
    cols = _celeba_columns(str(csv_path))
    cache = cache_dir() / f"celeba64_{_content_key(tar)}.npy"
    if cache.is_file():
        x = np.load(cache, mmap_mode="r")
    else:
        from PIL import Image

        with tarfile.open(tar) as t:
            members = [m for m in t if m.isfile()]
            x = np.stack([np.asarray(Image.open(t.extractfile(m)).convert("RGB")) for m in members])
        tmp = cache.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, x)
        os.replace(tmp, cache)
    if len(x) != len(cols["file"]):
        raise DatasetMissingError("celeba", [tar, csv_path], f"tar has {len(x)} images but the csv {len(cols['file'])} rows")
    return x, cols


@lru_cache(maxsize=2)
def _celeba_columns(csv_path: str) -> dict[str, np.ndarray]:
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    cols = {"file": np.array([r["file"] for r in rows]), "identity": np.array([int(r["identity"]) for r in rows])}
    for a in CELEBA_ATTRS:
        cols[a] = np.array([r[a] == "1" for r in rows])
    fid = np.array([int(Path(f).stem) for f in cols["file"]])
    split = np.full(len(rows), "train", dtype="<U5")
    for name, (lo, hi) in CELEBA_SPLITS.items():
        split[(fid >= lo) & (fid <= hi)] = name
    cols["split"] = split
    return cols


def load_svhn(root: Path, split: str = "train", download: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """SVHN from the official ``<root>/svhn/{split}_32x32.mat``: (x uint8 [N,32,32,3], y int64 0..9).

    The .mat is read with scipy exactly as torchvision's ``SVHN`` reads it (``X`` is [32,32,3,N],
    ``y`` stores the digit 0 as 10). Not staged on this machine; ``download=True`` fetches the
    official file with torchvision's downloader, which checks its md5, where there is internet.
    """
    if split not in ("train", "test", "extra"):
        raise ValueError(f"SVHN split must be train/test/extra, got {split!r}")
    folder = Path(root) / "svhn"
    f = folder / f"{split}_32x32.mat"
    if not f.is_file():
        if not download:
            raise DatasetMissingError("svhn", [f], "pass download=True (needs internet) to fetch the official .mat")
        from torchvision.datasets import SVHN
        from torchvision.datasets.utils import download_url

        url, filename, md5 = SVHN.split_list[split]
        try:
            download_url(url, str(folder), filename, md5)
        except (OSError, RuntimeError) as e:
            raise DatasetMissingError("svhn", [f], f"downloading {url} failed: {e}") from e
    import scipy.io as sio

    try:
        mat = sio.loadmat(str(f))
        x, y = mat["X"], mat["y"]
    except (sio.matlab.MatReadError, ValueError, OSError, KeyError, TypeError, IndexError) as e:
        raise DatasetMissingError("svhn", [f], f"the file is not an SVHN .mat ({e}); delete it and download again") from e
    if x.ndim != 4 or x.shape[:3] != (32, 32, 3) or y.size != x.shape[3]:
        raise DatasetMissingError("svhn", [f], f"unexpected SVHN arrays X{x.shape} y{y.shape}")
    x = np.ascontiguousarray(np.transpose(x, (3, 0, 1, 2)), dtype=np.uint8)  # [32,32,3,N] → [N,32,32,3]
    return x, y.astype(np.int64).reshape(-1) % 10  # the .mat stores 0 as 10
