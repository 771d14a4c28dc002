"""Interpolation in a shared latent space (issue 14): models with ``latent == "shared"`` (UNIT, CoGAN)
render every ``z_t = (1−t)·z_1 + t·z_2`` in both domains.

* :func:`xdomain.explore.interpolate_shared` on tiny untrained UNIT and CoGAN models: shapes, the
  endpoints are ``decode(encode(x))`` in both rows, the midpoint is the decode of the mean code, and a
  model without one shared code gets a ValueError that says so;
* GIFs of the two rows side by side (each frame A | B, twice as wide as one image);
* the Interpolate tab on a tiny trained UNIT checkpoint *registered* for tab "interpolate" in a
  temporary ``CHECKPOINT_DIR``: offered under its label, both domains' strips (labelled with the domain
  names), no part radio, a GIF of A | B frames; switching to a disentangling model brings the radio
  back; and the same endpoints served through gradio_client.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from support import opened
from xdomain import explore, hub, registry, train
from xdomain.methods.cogan import CoGAN
from xdomain.methods.unit import UNIT

CKPT = "unit-tiny-interpolate-test"
LABEL = "USPS ↔ MNIST (tiny UNIT, test)"


VISIBLE_STD = 0.3  # DCGAN's init (std 0.02) renders every code as flat grey; this draws visibly different images


def visible(model):
    """``model`` re-initialised (seeded) so that its outputs differ across codes and between the domains:
    a test that compares frames must not pass on images that are all 0."""
    from xdomain.nn.blocks import init_weights

    torch.manual_seed(0)
    return init_weights(model, VISIBLE_STD).eval()


@pytest.fixture(scope="module")
def unit():
    return visible(UNIT(UNIT.tiny_config()))


def _images(model, n: int = 2, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    s = model.image_size
    return torch.rand(n, model.channels, s, s, generator=g) * 2 - 1


# ----------------------------------------------------------------------------- explore
@pytest.mark.parametrize("side", ["A", "B"])
def test_interpolate_shared_renders_both_domains_from_one_line_of_codes(unit, side):
    x = _images(unit)
    frames = explore.interpolate_shared(unit, x[0], x[1:2], side, steps=5)
    s = unit.image_size
    assert frames.shape == (2, 5, unit.channels, s, s)
    with torch.no_grad():
        z = unit.encode(x, side)[0]  # [2, *z_shape]
        for row, dom in enumerate(explore.SIDES):
            torch.testing.assert_close(frames[row, 0], unit.decode(unit.encode(x[:1], side)[0], None, dom)[0],
                                       atol=1e-4, rtol=1e-4)  # t = 0: x1's code
            torch.testing.assert_close(frames[row, -1], unit.decode(unit.encode(x[1:], side)[0], None, dom)[0],
                                       atol=1e-4, rtol=1e-4)  # t = 1: x2's code
            torch.testing.assert_close(frames[row, 2], unit.decode(z.mean(0, keepdim=True), None, dom)[0],
                                       atol=1e-4, rtol=1e-4)  # t = ½: the mean code
    assert (frames[0] - frames[1]).abs().mean() > 0.05  # the two rows: two generators, one code
    assert (frames[:, 0] - frames[:, -1]).abs().mean() > 0.05  # the frames move
    with pytest.raises(ValueError, match="2 steps"):
        explore.interpolate_shared(unit, x[0], x[1], side, steps=1)
    with pytest.raises(ValueError, match="side"):
        explore.interpolate_shared(unit, x[0], x[1], "C")


def test_interpolate_shared_inverts_cogan_even_in_inference_mode(tmp_path):
    """CoGAN's encode optimises z with autograd through the generator, while the app's handlers run in
    inference mode — and may be the first to load the model (``ui.common.load_model``)."""
    from ui import common

    folder = hub.save_checkpoint(tmp_path / "tiny-cogan", visible(CoGAN(CoGAN.tiny_config())))
    common._models.pop(str(folder), None)
    with torch.inference_mode():  # as a handler would load and call it
        cogan = common.load_model(str(folder))
        x = _images(cogan)
        frames = explore.interpolate_shared(cogan, x[0], x[1], "A", steps=3)
    common._models.pop(str(folder), None)
    assert frames.shape == (2, 3, cogan.channels, cogan.image_size, cogan.image_size)
    z = explore.shared_code(cogan, x, "A")  # the same seeded inversion of the same pair
    with torch.no_grad():
        tol = dict(atol=1e-4, rtol=1e-4)  # z_1 + 1·(z_2 − z_1) is z_2 up to rounding
        torch.testing.assert_close(frames[:, 0], torch.stack([cogan.decode(z[:1], None, s)[0] for s in "AB"]), **tol)
        torch.testing.assert_close(frames[:, -1], torch.stack([cogan.decode(z[1:], None, s)[0] for s in "AB"]), **tol)
        torch.testing.assert_close(frames[:, 1], torch.stack([cogan.decode(z.mean(0, keepdim=True), None, s)[0]
                                                              for s in "AB"]), **tol)
    assert (frames[0] - frames[1]).abs().mean() > 0.05 and (frames[:, 0] - frames[:, -1]).abs().mean() > 0.05


def test_models_without_one_shared_code_are_refused_clearly():
    from xdomain.methods.discogan import DiscoGAN
    from xdomain.methods.disentangle import Disentangle

    dis = Disentangle(Disentangle.tiny_config()).eval()
    x = _images(dis)
    with pytest.raises(ValueError, match=r"no single shared latent space \(latent = 'shared\+exclusive'\).*interpolate\(\)"):
        explore.interpolate_shared(dis, x[0], x[1], "A")
    disco = DiscoGAN(DiscoGAN.tiny_config()).eval()
    with pytest.raises(ValueError, match=r"no single shared latent space \(latent = 'none'\).*UNIT or CoGAN"):
        explore.interpolate_shared(disco, _images(disco)[0], _images(disco)[1], "A")
    assert explore.interpolate(dis, x[0], x[1], "A", "both", steps=3).shape[0] == 3  # unchanged for disentanglement


def test_gif_of_two_rows_side_by_side(tmp_path):
    s = 16
    t = torch.linspace(-1, 1, 4).view(4, 1, 1, 1)  # four clearly different frames per row
    frames = torch.stack([t.expand(4, 1, s, s), -t.expand(4, 1, s, s)])  # [2, 4, 1, 16, 16]: A fades in, B out
    both = explore.side_by_side(frames)
    assert both.shape == (4, 1, s, 2 * s)
    torch.testing.assert_close(both[1, ..., :s], frames[0, 1])  # A on the left
    torch.testing.assert_close(both[1, ..., s:], frames[1, 1])  # B on the right
    path = explore.write_gif(frames, tmp_path / "ab.gif", scale=2)
    with Image.open(path) as im:
        assert im.size == (2 * 2 * s, 2 * s)  # each frame: A | B
        assert im.n_frames == 4 + 2
        im.seek(1)
        px = np.asarray(im.convert("L"), dtype=int)
        assert px[0, 0] < 128 < px[0, -1]  # frame 1: A still dark, B still light
    with pytest.raises(ValueError, match="rows"):
        explore.side_by_side(frames[0])


# ----------------------------------------------------------------------------- the tab, on a registered checkpoint
@pytest.fixture(scope="module")
def unit_checkpoint(tmp_path_factory, data_root):
    """A 2-step tiny UNIT (USPS ↔ MNIST, 16×16) trained into a temporary CHECKPOINT_DIR and registered
    as the only checkpoint of tab "interpolate"; the registry is restored afterwards."""
    from ui import common

    root = tmp_path_factory.mktemp("checkpoints")
    others = {k: v for k, v in registry.CHECKPOINTS.items() if "interpolate" not in v.tabs}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(registry, "CHECKPOINT_DIR", root)  # not the repo's checkpoints/
        mp.setattr(registry, "CHECKPOINTS", others)  # registered below; the real table is untouched
        folder = train.train("unit", UNIT.tiny_config(), root / CKPT, data_root=data_root, progress=False)
        meta = hub.read_meta(folder)  # 2 steps leave flat grey outputs: give it visible ones, same format
        hub.save_checkpoint(folder, visible(hub.load_model(folder)), training=meta["training"], data=meta["data"])
        registry.register_checkpoint(registry.CheckpointSpec(CKPT, "unit", "usps20_mnist", "test-only tiny UNIT",
                                                             tabs=("interpolate",), label=LABEL))
        common._models.clear()
        yield CKPT
        registry.CHECKPOINTS.pop(CKPT, None)
        common._models.clear()


def _build(checkpoints=None, paint: bool = True):
    import gradio as gr

    from ui.tabs import interpolate

    with gr.Blocks() as demo:
        interpolate.build(checkpoints)
    handlers = {f.api_name: f.fn for f in demo.fns.values()}
    components = {b.elem_id: b for b in demo.blocks.values() if getattr(b, "elem_id", None)}
    if paint:  # the first paints a page gets when it opens (not for a demo that will be served: raw values)
        opened(demo)
    return demo, handlers, components


def _gif_size(path: str) -> tuple[int, int, int]:
    with Image.open(path) as im:
        return im.size + (im.n_frames,)


def test_tab_shows_both_domains_for_a_registered_unit_checkpoint(unit_checkpoint):
    from ui import common, gallery

    _, h, c = _build()  # the registry's checkpoints for tab "interpolate"
    assert [tuple(x) for x in c["interpolate-model"].choices] == [(LABEL, CKPT)]
    m = common.load_model(CKPT)
    assert m.latent == "shared" and m.domain_names == ("USPS", "MNIST")
    assert c["interpolate-part"].visible is False  # only the shared code exists
    assert c["interpolate-strip"].label.startswith("USPS") and c["interpolate-strip-b"].label.startswith("MNIST")
    assert c["interpolate-strip-b"].visible is not False and "MNIST" in c["interpolate-explain"].value
    cell = gallery.DISPLAY_SCALE * m.image_size  # one frame as shown
    assert c["interpolate-strip"].value is not None  # first paint: both strips and the GIF

    first, second = h["interpolate_first_test"](CKPT, "B", 0), h["interpolate_second_test"](CKPT, "B", 1)
    strip_a, gif = h["interpolate_run"](CKPT, "B", first, second, "exclusive", 6)  # the part is ignored
    strip_b = h["interpolate_strip_b"](CKPT, "B", first, second, 6)
    assert strip_a.shape == strip_b.shape and strip_a.shape[0] == cell + 2 * gallery.DISPLAY_SCALE
    assert strip_a.shape[1] == 6 * cell + 7 * gallery.DISPLAY_SCALE  # six frames in one row
    frames = explore.interpolate_shared(m, gallery.read(m, first), gallery.read(m, second), "B", 6)
    np.testing.assert_array_equal(strip_a, gallery.show_grid(frames[0], nrow=6))
    np.testing.assert_array_equal(strip_b, gallery.show_grid(frames[1], nrow=6))
    assert _gif_size(gif) == (2 * cell, cell, 6 + 4)  # each GIF frame is A | B: twice as wide as one image
    assert np.abs(strip_a.astype(int) - strip_b.astype(int)).mean() > 5  # two domains
    with Image.open(gif) as im:  # frame 0 = x1's code rendered as USPS | as MNIST
        want = explore.to_uint8_hwc(explore.upscale(explore.side_by_side(frames[:, :1]), gallery.DISPLAY_SCALE))
        np.testing.assert_array_equal(np.asarray(im.convert("L")), want[0, ..., 0])
    assert h["interpolate_run"](CKPT, "B", first, second, "both", 6)[1] == gif  # same frames, same file

    layout = h["interpolate_layout"](CKPT)
    part, explain, sa, sb, g = layout
    assert part["visible"] is False and explain["visible"] is True
    assert sa["label"].startswith("USPS") and sb["label"].startswith("MNIST") and sb["visible"] is True
    assert "USPS | MNIST" in g["label"]


def test_tab_switches_between_a_disentangling_and_a_shared_latent_model(unit_checkpoint, tmp_path, png_pair):
    import gradio as gr

    from xdomain.methods.disentangle import Disentangle

    torch.manual_seed(0)
    dis = str(hub.save_checkpoint(tmp_path / "tiny-disentangle", Disentangle(Disentangle.tiny_config()).eval()))
    _, h, c = _build([dis, CKPT])  # the disentangling model first: today's tab
    assert c["interpolate-part"].visible is not False and c["interpolate-strip-b"].visible is False
    part, explain, sa, sb, _ = h["interpolate_layout"](dis)
    assert part["visible"] is True and sb["visible"] is False and explain["visible"] is False
    a, b = (h["interpolate_first_upload"](dis, p) for p in png_pair)
    strip, gif = h["interpolate_run"](dis, "A", a, b, "shared", 4)
    assert strip.ndim == 3 and h["interpolate_strip_b"](dis, "A", a, b, 4) is None
    assert _gif_size(gif)[0] == _gif_size(gif)[1]  # one domain: square frames
    part, _, _, sb, _ = h["interpolate_layout"](CKPT)
    assert part["visible"] is False and sb["visible"] is True
    a, b = (h["interpolate_first_upload"](CKPT, p) for p in png_pair)
    strip, gif = h["interpolate_run"](CKPT, "A", a, b, "shared", 4)
    assert _gif_size(gif)[0] == 2 * _gif_size(gif)[1]
    with pytest.raises(gr.Error) as e:
        h["interpolate_run"](CKPT, "A", None, b, "shared", 4)
    assert "No first image" in getattr(e.value, "message", str(e.value))


@pytest.fixture
def png_pair(tmp_path):
    paths = []
    for i, (y, x) in enumerate([(4, 14), (10, 6)]):
        a = np.zeros((40, 40, 3), np.uint8)
        a[y:y + 24, x:x + 8] = 255
        paths.append(str(tmp_path / f"digit{i}.png"))
        Image.fromarray(a).save(paths[-1])
    return paths


@pytest.mark.slow
def test_interpolate_tab_served_through_gradio_client(unit_checkpoint):
    from gradio_client import Client, handle_file

    from ui import common, gallery

    demo, h, _ = _build(paint=False)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(url, verbose=False, ssl_verify=False)
        first = client.predict(CKPT, "A", 0, api_name="/interpolate_first_test")
        second = client.predict(CKPT, "A", 3, api_name="/interpolate_second_test")
        strip_a, gif = client.predict(CKPT, "A", handle_file(first), handle_file(second), "shared", 5,
                                      api_name="/interpolate_run")
        strip_b = client.predict(CKPT, "A", handle_file(first), handle_file(second), 5, api_name="/interpolate_strip_b")
        cell = gallery.DISPLAY_SCALE * common.load_model(CKPT).image_size
        with Image.open(strip_a) as a, Image.open(strip_b) as b, Image.open(first) as f, Image.open(second) as s:
            assert a.size == b.size == (5 * cell + 6 * gallery.DISPLAY_SCALE, cell + 2 * gallery.DISPLAY_SCALE)
            assert np.abs(np.asarray(a, dtype=int) - np.asarray(b, dtype=int)).mean() > 5  # two domains
            f, s = np.asarray(f.convert("RGB")), np.asarray(s.convert("RGB"))
            np.testing.assert_array_equal(np.asarray(a.convert("RGB")), h["interpolate_run"](CKPT, "A", f, s, "shared", 5)[0])
            np.testing.assert_array_equal(np.asarray(b.convert("RGB")), h["interpolate_strip_b"](CKPT, "A", f, s, 5))
        assert _gif_size(gif)[:2] == (2 * cell, cell)
        layout = client.predict(CKPT, api_name="/interpolate_layout")
        assert len(layout) == 5
    finally:
        demo.close()
        common._models.clear()
