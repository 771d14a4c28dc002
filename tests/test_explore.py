"""The exploration logic (:mod:`xdomain.explore`) and the four tabs' handlers, without a server.

Pure functions run on a tiny untrained :class:`Disentangle` (16×16): every test checks an invariant
against the model's own ``encode``/``decode``, so none can pass on a broken implementation. The
handler tests build the real tabs inside ``gr.Blocks`` (from a tiny checkpoint folder), look each
handler up by its ``api_name`` and call it as plain Python — including bad uploads and an empty
data root (no dataset at all).
"""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from xdomain import explore, hub
from xdomain.methods.disentangle import Disentangle

TABS = ("translate", "analogies", "interpolate", "retrieve")


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return Disentangle(Disentangle.tiny_config()).eval()


@pytest.fixture(scope="module")
def images(model):
    """Paired-looking batches for both sides: ``{"A": [6,3,S,S], "B": [6,3,S,S]}`` in [-1, 1]."""
    g = torch.Generator().manual_seed(1)
    s = model.image_size
    return {side: torch.rand(6, 3, s, s, generator=g) * 2 - 1 for side in explore.SIDES}


# ----------------------------------------------------------------------------- translation
def test_translate_with_code_is_decode_of_shared_part(model, images):
    x, code = images["A"][:2], torch.randn(8)
    out = explore.translate_with_code(model, x, "a2b", code)
    s, _ = model.encode(x, "A")
    assert out.shape == (2, 3, model.image_size, model.image_size)
    torch.testing.assert_close(out, model.decode(s, code.expand(2, -1), "B"))
    torch.testing.assert_close(out, model.translate(x, "a2b", code=code))  # the model's own API agrees


def test_translate_diverse_is_seeded_and_uses_n_codes(model, images):
    x = images["B"][:1]
    a = explore.translate_diverse(model, x, "b2a", 5, seed=3)
    assert a.shape == (5, 3, model.image_size, model.image_size)
    torch.testing.assert_close(a, explore.translate_diverse(model, x, "b2a", 5, seed=3))
    z = explore.random_codes(5, model.exclusive_dim, 3)
    torch.testing.assert_close(a, model.decode(model.encode(x, "B")[0].expand(5, -1, -1, -1), z, "A"))
    assert not torch.equal(a, explore.translate_diverse(model, x, "b2a", 5, seed=4))


def test_exclusive_code_and_bad_arguments(model, images):
    e = explore.exclusive_code(model, images["B"][:3], "B")
    assert e.shape == (3, model.exclusive_dim)
    torch.testing.assert_close(e, model.encode(images["B"][:3], "B")[1])
    with pytest.raises(ValueError, match="direction"):
        explore.translate_with_code(model, images["A"], "x2y", torch.zeros(8))
    with pytest.raises(ValueError, match="side"):
        explore.exclusive_code(model, images["A"], "C")
    from xdomain.methods.discogan import DiscoGAN

    with pytest.raises(ValueError, match="disentangling"):  # a deterministic translator has no code to set
        explore.require_codes(DiscoGAN(DiscoGAN.tiny_config()))


def test_directions_round_trips_and_sequences_on_a_tiny_discogan():
    from xdomain.methods.discogan import DiscoGAN

    torch.manual_seed(0)
    cfg = DiscoGAN.tiny_config()
    disco, gan = DiscoGAN(cfg).eval(), DiscoGAN(type(cfg)(**{**cfg.__dict__, "variant": "gan"})).eval()
    x = torch.rand(2, cfg.channels, cfg.image_size, cfg.image_size) * 2 - 1
    assert disco.directions == ("a2b", "b2a") and gan.directions == ("a2b",)
    assert disco.direction_label("b2a") == "Shoes → Bags" and gan.direction_label("a2b") == "Shoes"
    xs = explore.round_trips(disco, x, "b2a", 2)
    assert len(xs) == 5 and torch.equal(xs[0], x)
    assert torch.allclose(xs[3], disco.G_BA(disco.G_AB(xs[1])))  # each trip restarts from the last image
    with pytest.raises(ValueError, match="one way"):
        explore.round_trips(gan, x, "a2b", 1)
    seq = explore.apply_sequence([(disco, "a2b"), (gan, "a2b")], x)
    assert torch.allclose(seq[2], gan.G_AB(disco.G_AB(x)))


# ----------------------------------------------------------------------------- analogies
def test_analogy_grid_combines_query_shared_with_reference_exclusive(model, images):
    q, r = images["A"][:3], images["A"][3:5]
    out = explore.analogy_grid(model, q, "A", references=r)
    assert out.shape == (3, 2, 3, model.image_size, model.image_size)
    s, _ = model.encode(q, "A")
    _, e = model.encode(r, "A")
    for i in range(3):
        for j in range(2):
            torch.testing.assert_close(out[i, j], model.decode(s[i:i + 1], e[j:j + 1], "A")[0], atol=1e-5, rtol=1e-4)
    codes = explore.random_codes(4, 8, 0)
    by_code = explore.analogy_grid(model, q, "A", codes=codes)
    assert by_code.shape[:2] == (3, 4)
    torch.testing.assert_close(by_code[1, 2], model.decode(s[1:2], codes[2:3], "A")[0], atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError, match="exactly one"):
        explore.analogy_grid(model, q, "A", references=r, codes=codes)


def test_analogy_sheet_layout(model, images):
    q, r = images["B"][:3], images["B"][3:5]
    out = explore.analogy_grid(model, q, "B", references=r)
    sheet = explore.analogy_sheet(q, out, r)
    assert sheet.shape == (4 * 3, 3, model.image_size, model.image_size)  # (Kq+1)·(Kr+1)
    torch.testing.assert_close(sheet[1], r[0])  # top row: references
    torch.testing.assert_close(sheet[3], q[0])  # left column: queries
    torch.testing.assert_close(sheet[3 * 2 + 2], out[1, 1])
    assert explore.analogy_sheet(q, out).shape == sheet.shape  # random codes: a blank top row


# ----------------------------------------------------------------------------- interpolation
@pytest.mark.parametrize("part", ["shared", "exclusive", "both"])
def test_interpolation_endpoints_are_the_decodes_of_the_encoded_inputs(model, images, part):
    x1, x2 = images["B"][0:1], images["B"][1:2]
    frames = explore.interpolate(model, x1, x2, "B", part, steps=5)
    assert frames.shape == (5, 3, model.image_size, model.image_size)
    (s1, e1), (s2, e2) = model.encode(x1, "B"), model.encode(x2, "B")
    end = {"shared": (s2, e1), "exclusive": (s1, e2), "both": (s2, e2)}[part]
    torch.testing.assert_close(frames[0], model.decode(s1, e1, "B")[0], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(frames[-1], model.decode(*end, "B")[0], atol=1e-5, rtol=1e-4)
    mid = {"shared": ((s1 + s2) / 2, e1), "exclusive": (s1, (e1 + e2) / 2), "both": ((s1 + s2) / 2, (e1 + e2) / 2)}[part]
    torch.testing.assert_close(frames[2], model.decode(*mid, "B")[0], atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError):
        explore.interpolate(model, x1, x2, "B", part, steps=1)


def test_write_gif(tmp_path, model, images):
    frames = explore.interpolate(model, images["A"][0], images["A"][1], "A", "exclusive", steps=4)
    path = explore.write_gif(frames, tmp_path / "sub" / "x.gif", scale=3)
    with Image.open(path) as im:
        assert im.format == "GIF" and im.size == (3 * model.image_size,) * 2
        assert im.n_frames == 4 + 2  # forward 4, back 2 (boomerang without repeating the ends)
    with pytest.raises(ValueError):
        explore.write_gif(frames[0], tmp_path / "y.gif")


# ----------------------------------------------------------------------------- retrieval
def test_retrieval_with_identical_domains_finds_the_pair_first(model, images):
    """Pixels of A and B identical → every query's nearest other-domain item is its own pair."""
    same = {"A": images["A"], "B": images["A"].clone()}
    index = explore.RetrievalIndex.build(model, same, {s: torch.arange(6) for s in "AB"})
    for i in range(6):
        hits = index.search(model, same["A"][i], "A", "other", k=3)
        assert (hits["pixels"][0].side, hits["pixels"][0].index) == ("B", i)
        assert hits["pixels"][0].distance == 0.0
        union = index.search(model, same["A"][i], "A", "union", k=12)["pixels"]
        assert ("A", i) not in {(h.side, h.index) for h in union}  # the query itself is left out
        assert len(union) == 11 and union[0].side == "B"


def test_retrieval_top_k_is_the_sorted_brute_force_ranking(model, images):
    index = explore.RetrievalIndex.build(model, images)
    assert index.kinds == ("shared", "exclusive", "pixels")
    q = images["B"][2]
    hits = index.search(model, q, "B", "union", k=5)
    with torch.no_grad():
        s, e = model.encode(q[None], "B")
    feats = {"shared": s.flatten(1), "exclusive": e, "pixels": q.flatten()[None]}
    for kind, hs in hits.items():
        d = [h.distance for h in hs]
        assert d == sorted(d) and len(hs) == 5
        db = torch.cat([index.feats[kind]["A"], index.feats[kind]["B"]])
        ref = torch.cdist(feats[kind], db)[0]
        ref[6 + 2] = float("inf")  # the query itself (B #2)
        want = torch.topk(ref, 5, largest=False)
        assert [("A" if i < 6 else "B", i % 6) for i in want.indices.tolist()] == [(h.side, h.index) for h in hs]
        np.testing.assert_allclose(d, want.values.numpy(), rtol=1e-5, atol=1e-6)
    assert index.find(images["B"][4], "B") == 4 and index.find(images["B"][4], "A") is None
    assert explore.share_from_other(hits["pixels"], "B") == sum(h.side == "A" for h in hits["pixels"]) / 5


def test_retrieval_find_recognises_a_database_image_after_8_bit_rounding_only(model, images):
    index = explore.RetrievalIndex.build(model, images)
    x = images["A"][3]
    x8 = ((x + 1) * 127.5).round() / 127.5 - 1  # the same image after a PNG round trip
    assert index.find(x8, "A") == 3 and index.find(x8[None], "A") == 3
    changed = x8.clone()
    changed[0, 5, 5] = 1.0 if x8[0, 5, 5] < 0 else -1.0  # one value really differs
    assert index.find(changed, "A") is None
    assert index.find(torch.zeros_like(x), "A") is None


# ----------------------------------------------------------------------------- images and drawings
def test_display_round_trip_is_exact(images):
    x = images["A"][:1]
    x8 = ((x + 1) * 127.5).round() / 127.5 - 1  # what survives 8 bits
    shown = explore.to_uint8_hwc(explore.upscale(x8, 4))[0]  # [4S, 4S, 3]
    torch.testing.assert_close(explore.from_uint8_hwc(shown, x.shape[-1]), x8)


def test_drawing_is_normalised_like_mnist_and_rendered_into_each_domain():
    ink = np.zeros((280, 280), np.float32)
    ink[20:120, 200:230] = 1.0  # an off-centre vertical stroke
    digit = explore.mnist_canvas(ink, 32)
    assert digit.shape == (32, 32) and digit.dtype == np.uint8
    ys, xs = np.nonzero(digit > 128)
    assert ys.max() - ys.min() + 1 in (19, 20, 21)  # the long side fills MNIST's 20-pixel box
    cy, cx = (np.mgrid[:32, :32] * digit).sum((1, 2)) / digit.sum()
    assert abs(cy - 15.5) <= 1 and abs(cx - 15.5) <= 1  # centre of mass at the centre
    red = (1.0, 0.0, 0.0)
    cd = explore.render_drawing(ink, "mnist_cd_cb", "A", red)[0]  # [3, 32, 32]: red digit on black
    cb = explore.render_drawing(ink, "mnist_cd_cb", "B", red)[0]  # white digit on red
    stroke, bg = digit > 200, digit == 0
    assert cd[0][stroke].min() > 0.5 and cd[1][stroke].max() < -0.9 and cd[:, bg].max() == -1
    assert cb[:, stroke].min() > 0.5 and cb[0][bg].min() == 1 and cb[1][bg].max() == -1
    with pytest.raises(ValueError, match="empty"):
        explore.mnist_canvas(np.zeros((50, 50)))
    with pytest.raises(ValueError, match="not supported"):
        explore.render_drawing(ink, "usps_mnist", "A", red)


# ----------------------------------------------------------------------------- handlers (no server)
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, model):
    return str(hub.save_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-disentangle", model,
                                   metrics={"recall1_label_shared_cd2cb": 0.425,
                                            "recall1_label_shared_cb2cd": 0.97}))


def build_handlers(checkpoint: str) -> dict:
    """Build the four tabs and return ``{api_name: handler}``."""
    import importlib

    import gradio as gr

    with gr.Blocks() as demo:
        for tab in TABS:
            with gr.Tab(tab):
                importlib.import_module(f"ui.tabs.{tab}").build([checkpoint])
    return {f.api_name: f.fn for f in demo.fns.values()}


@pytest.fixture(scope="module")
def handlers(checkpoint):
    return build_handlers(checkpoint)


@pytest.fixture
def png(tmp_path):
    """A real PNG upload: a small coloured digit-like blob."""
    a = np.zeros((40, 40, 3), np.uint8)
    a[8:32, 16:24] = (255, 128, 0)
    path = tmp_path / "digit.png"
    Image.fromarray(a).save(path)
    return str(path)


def error_message(excinfo) -> str:
    return getattr(excinfo.value, "message", str(excinfo.value))


EXPECTED_API = {
    "translate_code", "translate_randomise", "translate_take_code", "translate_diverse", "retrieve_run",
    "retrieve_metrics", "analogies_run", "interpolate_run", "translate_layout", *(f"{t}_model" for t in TABS),
    *(f"{t}_about" for t in TABS),
    *(f"{p}_{h}" for p in ("translate_input", "translate_ref", "interpolate_first", "interpolate_second", "retrieve_query")
      for h in ("select", "test", "upload", "draw", "gallery", "model", "fetch")),
}


def test_every_handler_is_named(handlers):
    assert EXPECTED_API <= set(handlers)
    assert None not in handlers


def test_translate_handlers(handlers, model, checkpoint):
    shown = 4 * model.image_size
    img = handlers["translate_input_test"](checkpoint, "a2b", 3)
    assert img.shape == (shown, shown, 3) and img.dtype == np.uint8
    zero = handlers["translate_code"](checkpoint, "a2b", img, *[0.0] * 8)
    moved = handlers["translate_code"](checkpoint, "a2b", img, *[3.0] * 8)
    assert zero.shape == (shown, shown, 3)
    assert np.abs(zero.astype(int) - moved.astype(int)).max() > 0  # a slider move changes the output
    assert handlers["translate_code"](checkpoint, "a2b", None, *[0.0] * 8) is None  # nothing picked yet: no error
    seed, *code = handlers["translate_randomise"](checkpoint, 7)
    assert seed == 8 and len(code) == 8 and all(-3 <= c <= 3 for c in code)
    assert handlers["translate_randomise"](checkpoint, 7)[1:] == code
    ref = handlers["translate_ref_test"](checkpoint, "a2b", 5)
    taken = handlers["translate_take_code"](checkpoint, "a2b", ref)
    e = explore.exclusive_code(model, explore.from_uint8_hwc(ref, model.image_size), "B")[0]
    np.testing.assert_allclose(taken, e.clamp(-3, 3).numpy(), atol=0.006)
    assert [v for _, v in handlers["translate_model"](checkpoint)["choices"]] == ["a2b", "b2a"]
    assert [lbl for lbl, _ in handlers["retrieve_model"](checkpoint)["choices"]] == list(model.domain_names)
    grid = handlers["translate_diverse"](checkpoint, "b2a", img, 6, 0)
    assert grid.ndim == 3 and grid.shape[1] > grid.shape[0]  # 6 outputs in rows of 4


def test_bad_uploads_give_clear_messages(handlers, checkpoint, tmp_path):
    import gradio as gr

    text = tmp_path / "notes.png"
    text.write_text("this is not an image")
    with pytest.raises(gr.Error) as e:
        handlers["translate_input_upload"](checkpoint, str(text))
    assert "not an image" in error_message(e)
    truncated = tmp_path / "cut.png"
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(buf, format="PNG")
    truncated.write_bytes(buf.getvalue()[:60])
    with pytest.raises(gr.Error) as e:
        handlers["retrieve_query_upload"](checkpoint, str(truncated))
    assert "corrupt" in error_message(e) or "truncated" in error_message(e)
    with pytest.raises(gr.Error) as e:
        handlers["translate_take_code"](checkpoint, "a2b", None)
    assert "reference image" in error_message(e)
    with pytest.raises(gr.Error) as e:
        handlers["translate_input_test"](checkpoint, "a2b", 10_000)
    assert "between 0 and 9999" in error_message(e)


def test_analogies_interpolate_retrieve_handlers(handlers, model, checkpoint, png, tmp_path):
    cell = 4 * model.image_size + 4
    sheet = handlers["analogies_run"](checkpoint, "A", 3, 0, "Test set", None, "Test set", None)
    assert sheet.shape[:2] == (4 * cell + 4, 4 * cell + 4)  # (K+1)×(K+1) cells with padding
    random_refs = handlers["analogies_run"](checkpoint, "B", 3, 0, "Uploads", [png, png], "Random codes", None)
    assert random_refs.shape[:2] == (3 * cell + 4, 4 * cell + 4)  # 2 uploaded queries × 3 random codes
    first = handlers["interpolate_first_test"](checkpoint, "A", 0)
    second = handlers["interpolate_second_upload"](checkpoint, png)
    strip, gif = handlers["interpolate_run"](checkpoint, "A", first, second, "shared", 6)
    assert strip.shape[1] > 5 * strip.shape[0]
    with Image.open(gif) as im:
        assert im.n_frames == 6 + 4
    q = handlers["retrieve_query_test"](checkpoint, "B", 2)
    shared, excl, pixels, summary = handlers["retrieve_run"](checkpoint, "B", q, "union")
    cell = 4 * model.image_size + 4  # one image per feature kind: 2 rows × 5 captioned tiles
    for sheet in (shared, excl, pixels):
        assert sheet.shape[1] == 5 * cell + 4 and 2 * cell < sheet.shape[0] < 4 * cell  # captions: 2 lines each
    digits = [row.rsplit("|", 2)[1].split() for row in summary.splitlines() if row.startswith("| Shared")]
    assert len(digits) == 1 and len(digits[0]) == 10  # the neighbours' labels, nearest first, for text readers
    assert "test image #2" in summary and "from the other domain" in summary
    shown = handlers["retrieve_metrics"](checkpoint)  # read from the checkpoint's config.json
    assert "| Shared features (S) | 42.50% | 97.00% |" in shown and "CD → CB (label) | CB → CD (label)" in shown


def test_drawing_handler(handlers, model, checkpoint):
    import gradio as gr

    layer = np.zeros((280, 280, 4), np.uint8)
    layer[40:240, 130:160] = 255  # a white "1" on a transparent layer
    sketch = {"background": None, "layers": [layer], "composite": None}
    img = handlers["translate_input_draw"](checkpoint, "b2a", sketch, "#00ff00")  # source side B: white on green
    assert img.shape == (4 * model.image_size,) * 2 + (3,)
    assert tuple(img[0, 0]) == (0, 255, 0) and img.max(axis=(0, 1)).tolist() == [255, 255, 255]
    flat = np.full((100, 100, 3), 255, np.uint8)
    flat[20:80, 45:55] = 0  # dark ink on white paper, already flattened
    assert handlers["interpolate_first_draw"](checkpoint, "A", {"composite": flat, "layers": []}, "rgb(255, 0, 0)").shape[2] == 3
    with pytest.raises(gr.Error) as e:
        handlers["translate_input_draw"](checkpoint, "a2b", {"background": None, "layers": [], "composite": None}, "#fff")
    assert "Draw a digit" in error_message(e)
    with pytest.raises(gr.Error) as e:
        handlers["translate_input_draw"](checkpoint, "a2b", sketch, "banana")
    assert "Not a colour" in error_message(e)


def test_tabs_work_without_any_dataset(tmp_path, monkeypatch, checkpoint, png, model):
    """XDOMAIN_DATA → an empty folder: every tab builds; uploads, drawings and random codes work;
    whatever needs the test set says how to get the dataset."""
    import gradio as gr

    from ui import gallery, selector

    monkeypatch.setenv("XDOMAIN_DATA", str(tmp_path))
    h = build_handlers(checkpoint)
    items, note = gallery.gallery_items(selector.model(checkpoint), "A")
    assert items == [] and "not found" in note and "XDOMAIN_DATA" in note
    img = h["translate_input_upload"](checkpoint, png)
    assert h["translate_code"](checkpoint, "a2b", img, *[0.5] * 8).shape == img.shape
    assert h["translate_randomise"](checkpoint, 0)[0] == 1
    assert h["translate_diverse"](checkpoint, "a2b", img, 4, 0) is not None
    assert h["analogies_run"](checkpoint, "A", 2, 0, "Uploads", [png], "Random codes", None).ndim == 3
    strip, _ = h["interpolate_run"](checkpoint, "A", img, h["interpolate_second_upload"](checkpoint, png), "exclusive", 3)
    assert strip.ndim == 3
    gallery_update = h["translate_input_gallery"](checkpoint, "b2a", 0)
    assert gallery_update[0] == [] and "not found" in gallery_update[1]
    for call in (lambda: h["translate_input_test"](checkpoint, "a2b", 0),
                 lambda: h["analogies_run"](checkpoint, "A", 2, 0, "Test set", None, "Random codes", None),
                 lambda: h["retrieve_run"](checkpoint, "A", img, "other")):
        with pytest.raises(gr.Error) as e:
            call()
        assert "not found" in error_message(e) and "XDOMAIN_DATA" in error_message(e)


def test_missing_dataset_is_fetched_with_its_loader(tmp_path, monkeypatch, checkpoint):
    """Empty data root → the picker's *Download* calls the dataset's real fetcher (here replaced by
    one that writes a small MNIST-format file, as CI has no internet) and the gallery fills."""
    import gradio as gr

    from xdomain.data import sources

    monkeypatch.setenv("XDOMAIN_DATA", str(tmp_path))
    calls = []

    def fake_fetch(root):
        calls.append(root)
        rng = np.random.default_rng(0)
        arrays = {f"{k}_{s}": (rng.integers(0, 256, (n, 28, 28)) if k == "x" else rng.integers(0, 10, n)).astype(np.uint8)
                  for s, n in (("train", 60010), ("test", 30)) for k in ("x", "y")}
        (root / "mnist").mkdir(parents=True, exist_ok=True)
        np.savez(root / "mnist" / "mnist.npz", **arrays)

    monkeypatch.setitem(sources.FETCHERS, "mnist", fake_fetch)
    h = build_handlers(checkpoint)
    items, note, button = h["translate_input_fetch"](checkpoint, "a2b")
    assert calls == [tmp_path] and len(items) == 24 and button["visible"] is False

    def failing_fetch(root):
        raise sources.DatasetMissingError("mnist", [root / "mnist" / "mnist.npz"], "downloading it with torchvision failed")

    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("XDOMAIN_DATA", str(other))
    monkeypatch.setitem(sources.FETCHERS, "mnist", failing_fetch)
    with pytest.raises(gr.Error) as e:
        h["translate_input_fetch"](checkpoint, "a2b")
    assert "downloading it with torchvision failed" in error_message(e)
