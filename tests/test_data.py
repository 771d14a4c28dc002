"""Data layer on the real staged data: loaders' shapes/dtypes/ranges, derived domains (deterministic
under a seed, MNIST-CD/CB paired), CelebA's identity-disjoint splits, emoji filters, missing-data
errors, and the SVHN loader on a tiny official-format .mat written here."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from xdomain.data import DatasetMissingError, resolve_root, sources
from xdomain.data.domains import get_domains


def _in_range(t: torch.Tensor) -> bool:
    return t.dtype == torch.float32 and float(t.min()) >= -1.0 and float(t.max()) <= 1.0


# --------------------------------------------------------------------------- the data root
def test_resolve_root_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("XDOMAIN_DATA", raising=False)
    shared = sources.REPO_ROOT.parent / "shared" / "data"
    default = resolve_root()
    assert default == (shared if shared.is_dir() else Path.home() / ".cache" / "xdomain" / "data")
    monkeypatch.setenv("XDOMAIN_DATA", str(tmp_path / "env"))
    assert resolve_root() == tmp_path / "env"
    assert resolve_root(tmp_path / "arg") == tmp_path / "arg"  # --data-root wins over the environment
    assert resolve_root("~/x") == Path.home() / "x"


# --------------------------------------------------------------------------- raw loaders
@pytest.mark.parametrize("loader, split, n, hw", [
    (sources.load_mnist, "train", 60000, 28),
    (sources.load_mnist, "test", 10000, 28),
    (sources.load_fashion_mnist, "train", 60000, 28),
    (sources.load_fashion_mnist, "test", 10000, 28),
    (sources.load_usps, "train", 7291, 16),
    (sources.load_usps, "test", 2007, 16),
])
def test_gray_loaders(data_root, loader, split, n, hw):
    x, y = loader(data_root, split)
    assert x.shape == (n, hw, hw) and x.dtype == np.uint8
    assert y.shape == (n,) and y.dtype == np.int64
    assert set(np.unique(y)) == set(range(10))
    assert x.max() == 255 and x.min() == 0


def test_mnist_is_the_official_order(data_root):
    _, y = sources.load_mnist(data_root, "train")
    _, yt = sources.load_mnist(data_root, "test")
    assert y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4] and yt[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_bad_split_is_refused(data_root):
    with pytest.raises(ValueError, match="split"):
        sources.load_mnist(data_root, "validation")


def test_emoji_filters(data_root):
    every = sources.load_emoji(data_root)
    assert every["images"].shape == (5574, 64, 64, 3) and every["images"].dtype == np.uint8
    assert all(len(v) == 5574 for v in every.values())

    tw = sources.load_emoji(data_root, vendors=("twitter",))
    assert len(tw["images"]) == 1115 and set(tw["vendor"]) == {"twitter"}

    faces = sources.load_emoji(data_root, subcategories=("face-*",))  # prefix filter
    assert len(faces["images"]) == 588 and all(s.startswith("face-") for s in faces["subcategory"])

    heads = sources.load_emoji(data_root, vendors=("google", "twitter"), subcategories=("person", "face-*"),
                               skin_tones=("dark", "light"))
    assert len(heads["images"]) > 0
    assert set(heads["vendor"]) == {"google", "twitter"}
    assert set(heads["skin_tone"]) == {"dark", "light"}
    assert all(s == "person" or s.startswith("face-") for s in heads["subcategory"])
    person = sources.load_emoji(data_root, subcategories=("person",))
    assert len(person["images"]) == 840


# --------------------------------------------------------------------------- derived domains
def _padded_mnist(root, split: str) -> np.ndarray:
    x, _ = sources.load_mnist(root, "test" if split == "test" else "train")
    x = x[50000:] if split == "val" else x
    return np.pad(x, ((0, 0), (2, 2), (2, 2)))


@pytest.mark.slow
def test_mnist_cd_cb_shapes_and_pairing(data_root):
    d = get_domains("mnist_cd_cb", data_root, "test", seed=0)
    a, b = d["A"], d["B"]
    assert d["paired"] is True
    assert a.shape == b.shape == (10000, 3, 32, 32) and _in_range(a) and _in_range(b)
    assert torch.equal(d["label_A"], d["label_B"])

    g = torch.from_numpy(_padded_mnist(data_root, "test"))[:, None]  # [N,1,32,32] the shared source digit
    background, full = g == 0, g == 255
    # MNIST-CD: black wherever the source digit is absent; MNIST-CB: white wherever it is fully on
    assert torch.all(a.masked_select(background.expand_as(a)) == -1.0)
    assert torch.all(b.masked_select(full.expand_as(b)) == 1.0)
    # ... and the digit mask of both views is the same one
    cd_on = (a > -1.0).any(1, keepdim=True)
    assert torch.equal(cd_on | background.logical_not(), background.logical_not())  # CD lit ⊆ digit
    bg_colour = b[:, :, :1, :1]  # [N,3,1,1]: the corner is background in every MNIST digit
    cb_differs = (b - bg_colour).abs().amax(1, keepdim=True) > 1e-6
    assert torch.equal(cb_differs & background, torch.zeros_like(background))  # CB background is one flat colour
    assert (a > -1).flatten(1).any(1).all()  # every digit is visible in CD


@pytest.mark.slow
def test_mnist_cd_cb_colours_are_seeded(data_root):
    d0 = get_domains("mnist_cd_cb", data_root, "val", seed=0)
    d0b = get_domains("mnist_cd_cb", data_root, "val", seed=0)
    d1 = get_domains("mnist_cd_cb", data_root, "val", seed=1)
    assert torch.equal(d0["A"], d0b["A"]) and torch.equal(d0["B"], d0b["B"])
    assert not torch.equal(d0["A"], d1["A"]) and not torch.equal(d0["B"], d1["B"])
    assert torch.equal(d0["label_A"], d1["label_A"])  # different colours, same digits
    bg0 = d0["B"][:, :, 0, 0]  # the corner is background in MNIST: the per-image CB colour
    bg1 = d1["B"][:, :, 0, 0]
    assert (bg0 - bg1).abs().mean() > 0.2 and bg0.std(0).min() > 0.3  # varied colours, not a constant
    assert not torch.equal(d0["A"][:100], get_domains("mnist_cd_cb", data_root, "test", seed=0)["A"][:100])


def test_mnist_splits_are_the_papers(data_root):
    tr = get_domains("mnist_negative", data_root, "train")
    va = get_domains("mnist_negative", data_root, "val")
    te = get_domains("mnist_negative", data_root, "test")
    assert (len(tr["A"]), len(va["A"]), len(te["A"])) == (50000, 10000, 10000)
    with pytest.raises(ValueError, match="split"):
        get_domains("mnist_negative", data_root, "dev")


def test_mnist_negative_and_edge(data_root):
    neg = get_domains("mnist_negative", data_root, "val")
    assert neg["A"].shape == neg["B"].shape == (10000, 1, 28, 28) and neg["paired"]
    assert torch.allclose(neg["B"], -neg["A"], atol=1e-6)
    edge = get_domains("mnist_edge", data_root, "val")
    a, b = edge["A"], edge["B"]
    assert a.shape == b.shape == (10000, 1, 28, 28) and _in_range(b)
    on = a > -1
    near = torch.nn.functional.max_pool2d(on.float(), 3, 1, 1) > 0  # the digit dilated by one pixel
    assert torch.all(b[~near] == -1)  # no edges far from the digit
    interior = -torch.nn.functional.max_pool2d(-(a == 1).float(), 3, 1, 1) > 0  # saturated 3×3 neighbourhoods
    assert torch.all(b[interior] == -1)  # nor inside flat strokes
    assert (b > -1).flatten(1).any(1).all()  # every digit has an edge map


def test_usps_mnist_and_fashion(data_root):
    d = get_domains("usps_mnist", data_root, "test")
    assert d["A"].shape == (2007, 1, 32, 32) and d["B"].shape == (10000, 1, 32, 32)
    assert _in_range(d["A"]) and _in_range(d["B"]) and not d["paired"]
    f = get_domains("fashion_bags_shoes", data_root, "train")
    assert f["A"].shape == (6000, 1, 32, 32) and f["B"].shape == (12000, 1, 32, 32)
    assert set(f["label_A"].tolist()) == {8} and set(f["label_B"].tolist()) == {7, 9}


def test_unknown_domain_name(data_root):
    with pytest.raises(KeyError, match="unknown dataset 'mnist_purple'; known: .*mnist_cd_cb"):
        get_domains("mnist_purple", data_root)


# --------------------------------------------------------------------------- CelebA
@pytest.fixture(scope="module")
def celeba(data_root):
    """Decoded once (~20 s) into the xdomain cache ($XDOMAIN_CACHE or ~/.cache/xdomain), then memory-mapped."""
    return sources.load_celeba(data_root)


@pytest.mark.slow
def test_celeba_array_and_columns(celeba):
    x, cols = celeba
    assert x.shape == (46715, 64, 64, 3) and x.dtype == np.uint8
    assert set(sources.CELEBA_ATTRS) <= set(cols) and len(sources.CELEBA_ATTRS) == 40
    assert all(len(v) == 46715 for v in cols.values())
    assert int(cols["Male"].sum()) == 20796 and int(cols["Eyeglasses"].sum()) == 3411
    assert cols["file"][0] == "000001.jpg" or cols["file"][0].endswith(".jpg")
    assert list(sources.cache_dir().glob("celeba64_*.npy")), "the decoded array is cached"
    assert 60 < float(x[:200].mean()) < 200  # real faces, not an empty array


def test_celeba_cache_key_follows_the_content_not_the_path_or_mtime(tmp_path):
    """Staging the same tar again (the shared data is re-copied each session) must reuse the 570 MB cache."""
    import os

    data = bytes(range(256)) * 20_000  # 5 MB: the key reads the first and last MiB
    a, b = tmp_path / "a.tar", tmp_path / "sub" / "b.tar"
    b.parent.mkdir()
    a.write_bytes(data)
    b.write_bytes(data)
    os.utime(b, (1, 1))
    assert sources._content_key(a) == sources._content_key(b)
    for changed in (data[:-1] + b"x", b"x" + data[1:], data + b"\0"):
        b.write_bytes(changed)
        assert sources._content_key(b) != sources._content_key(a)


@pytest.mark.slow
def test_celeba_splits_are_identity_disjoint(celeba):
    _, cols = celeba
    counts = {s: int((cols["split"] == s).sum()) for s in ("train", "val", "test")}
    assert counts == {"train": 37540, "val": 4535, "test": 4640}
    ids = {s: set(cols["identity"][cols["split"] == s].tolist()) for s in counts}
    assert not ids["train"] & ids["val"] and not ids["train"] & ids["test"] and not ids["val"] & ids["test"]


@pytest.mark.slow
@pytest.mark.parametrize("name, attr, neg", [
    ("celeba_Male", "Male", None),
    ("celeba_Eyeglasses", "Eyeglasses", None),
    ("celeba_Smiling", "Smiling", None),
    ("celeba_blond_black", "Blond_Hair", "Black_Hair"),
])
def test_celeba_attribute_domains(celeba, data_root, name, attr, neg):
    from xdomain.data.sources import CELEBA_ATTRS

    d = get_domains(name, data_root, "val")
    a_attrs, b_attrs = d["attrs_A"], d["attrs_B"]
    i = CELEBA_ATTRS.index(attr)
    assert d["A"].shape[1:] == (3, 64, 64) and _in_range(d["A"]) and _in_range(d["B"])
    assert len(d["A"]) == len(a_attrs) > 0 and len(d["B"]) == len(b_attrs) > 0
    assert a_attrs[:, i].all() and not b_attrs[:, i].any()
    if neg is None:
        assert len(d["A"]) + len(d["B"]) == 4535
    else:
        j = CELEBA_ATTRS.index(neg)
        assert not a_attrs[:, j].any() and b_attrs[:, j].all()


def test_unknown_celeba_attribute(data_root):
    with pytest.raises(KeyError, match="unknown CelebA attribute 'Purple_Hair'"):
        get_domains("celeba_Purple_Hair", data_root, "val")


# --------------------------------------------------------------------------- missing data
@pytest.mark.parametrize("call, expected", [
    (lambda r: sources.load_mnist(r), ["mnist/mnist.npz"]),
    (lambda r: sources.load_fashion_mnist(r), ["fashion_mnist/fashion_mnist.npz"]),
    (lambda r: sources.load_usps(r), ["usps/usps.npz"]),
    (lambda r: sources.load_emoji(r), ["emoji/emoji_faces_64.npz"]),
    (lambda r: sources.load_celeba(r), ["celeba/faces_64.tar", "celeba/faces_64.csv"]),
    (lambda r: sources.load_svhn(r), ["svhn/train_32x32.mat"]),
    (lambda r: get_domains("mnist_cd_cb", r), ["mnist/mnist.npz"]),
    (lambda r: get_domains("celeba_Male", r, "val"), ["celeba/faces_64.tar"]),
])
def test_missing_dataset_is_one_clear_error(tmp_path, call, expected):
    with pytest.raises(DatasetMissingError) as info:
        call(tmp_path)
    msg = str(info.value)
    assert "\n" not in msg
    for rel in expected:
        assert str(tmp_path / rel) in msg
    assert "XDOMAIN_DATA" in msg and "--data-root" in msg
    assert isinstance(info.value, FileNotFoundError)  # callers may catch it as the builtin too


# --------------------------------------------------------------------------- SVHN
def _write_svhn(path: Path, n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A tiny file in the official format: X uint8 [32,32,3,N], y uint8 [N,1] with 10 for the digit 0."""
    from scipy.io import savemat

    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, (32, 32, 3, n), dtype=np.uint8)
    y = (np.arange(n) % 10 + 1).astype(np.uint8)[:, None]  # 1..10
    path.parent.mkdir(parents=True, exist_ok=True)
    savemat(str(path), {"X": X, "y": y})
    return X, y


@pytest.mark.parametrize("split", ["train", "test"])
def test_svhn_reads_the_official_mat(tmp_path, split, monkeypatch):
    X, y = _write_svhn(tmp_path / "svhn" / f"{split}_32x32.mat")
    x, labels = sources.load_svhn(tmp_path, split)
    assert x.shape == (12, 32, 32, 3) and x.dtype == np.uint8 and x.flags["C_CONTIGUOUS"]
    assert np.array_equal(x[3], X[:, :, :, 3])  # image i is X[..., i], HWC
    assert labels.dtype == np.int64 and labels.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2]
    # torchvision's own reader agrees (its md5 check is for the official file, so it is bypassed here)
    from torchvision.datasets import SVHN

    monkeypatch.setattr(SVHN, "_check_integrity", lambda self: True)
    ds = SVHN(str(tmp_path / "svhn"), split=split)
    assert np.array_equal(np.transpose(ds.data, (0, 2, 3, 1)), x) and np.array_equal(ds.labels, labels)


def test_svhn_download_uses_torchvision_with_the_official_md5(tmp_path, monkeypatch):
    from torchvision.datasets import SVHN, utils

    calls = []

    def fake_download(url, root, filename=None, md5=None, **kw):  # no internet here: record and write the file
        calls.append((url, Path(root), filename, md5))
        _write_svhn(Path(root) / filename, n=3)

    monkeypatch.setattr(utils, "download_url", fake_download)
    x, y = sources.load_svhn(tmp_path, "test", download=True)
    assert x.shape == (3, 32, 32, 3)
    assert calls == [(SVHN.split_list["test"][0], tmp_path / "svhn", "test_32x32.mat", SVHN.split_list["test"][2])]


def test_svhn_failed_download_and_corrupt_file(tmp_path, monkeypatch):
    from torchvision.datasets import utils

    def offline(*a, **kw):
        raise OSError("Name or service not known")

    monkeypatch.setattr(utils, "download_url", offline)
    with pytest.raises(DatasetMissingError, match="downloading .* failed: Name or service not known"):
        sources.load_svhn(tmp_path, "train", download=True)
    bad = tmp_path / "svhn" / "train_32x32.mat"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_bytes(b"<html>captive portal</html>")
    with pytest.raises(DatasetMissingError, match="not an SVHN .mat"):
        sources.load_svhn(tmp_path, "train")
    with pytest.raises(ValueError, match="train/test/extra"):
        sources.load_svhn(tmp_path, "val")
