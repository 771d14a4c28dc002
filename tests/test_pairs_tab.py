"""The Pairs tab (issue 15): CoGAN's one-z-two-images property, on a tiny CoGAN checkpoint folder.

Handlers are called as plain Python inside ``gr.Blocks`` (no server): a grid of pairs (domain 1 over
domain 2), a walk along fixed z directions, an interpolation between two seeds in both domains with a
GIF of 1 | 2 frames, translation by inversion streamed as progress then a strip, and clear messages
for a model that does not draw pairs and for a missing upload. The committed checkpoint in Chromium is
tested in ``tests/e2e/test_pairs_tab.py``.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from PIL import Image

from support import opened
from xdomain import hub
from xdomain.methods.cogan import CoGAN


@pytest.fixture(scope="module")
def cogan_dir(tmp_path_factory):
    from xdomain.nn.blocks import init_weights

    torch.manual_seed(0)
    m = init_weights(CoGAN(CoGAN.tiny_config()), 0.3).eval()  # visibly different images per z
    return str(hub.save_checkpoint(tmp_path_factory.mktemp("ck") / "tiny-cogan", m))


def _build(checkpoints):
    import gradio as gr

    from ui.tabs import pairs

    with gr.Blocks() as demo:
        pairs.build(checkpoints)
    h = {f.api_name: f.fn for f in demo.fns.values()}
    c = {b.elem_id: b for b in demo.blocks.values() if getattr(b, "elem_id", None)}
    opened(demo)
    return h, c


def test_grid_walk_and_interpolation(cogan_dir):
    from ui import common

    h, c = _build([cogan_dir])
    m = common.load_model(cogan_dir)
    assert c["pairs-grid"].value is not None and c["pairs-interpolate-run"].interactive is True  # first paint
    grid = h["pairs_grid"](cogan_dir, 3, 5)
    cell = 3 * m.image_size
    assert grid.shape[:2] == (2 * cell + 3 * 3, 5 * cell + 6 * 3)  # two rows (domains) of five pairs
    top, bottom = grid[3:3 + cell], grid[cell + 6:2 * cell + 6]
    assert np.abs(top.astype(int) - bottom.astype(int)).mean() > 2  # domain 1 and domain 2 differ
    assert not np.array_equal(grid, h["pairs_grid"](cogan_dir, 4, 5))  # another seed, other pairs

    still = h["pairs_walk"](cogan_dir, 3, 0, 0, 0, 0)
    moved = h["pairs_walk"](cogan_dir, 3, 2.5, 0, 0, 0)
    assert still.shape == moved.shape and not np.array_equal(still, moved)

    strip, gif = h["pairs_interpolate"](cogan_dir, 0, 1, 6)
    assert strip.shape[1] == 6 * cell + 7 * 3
    _, x1a, x2a = m.sample_pairs(1, seed=0)
    first_col = torch.from_numpy(strip[3:3 + cell, 3:3 + cell]).float()
    want = ((x1a[0, 0].clamp(-1, 1) + 1) * 127.5).round()
    assert (first_col[::3, ::3, 0] - want).abs().max() <= 1  # step 0 is seed A's first pair (grid rounding)
    with Image.open(gif) as im:
        assert im.size == (2 * 4 * m.image_size, 4 * m.image_size)  # each frame: domain 1 | domain 2


def test_inversion_streams_progress_then_the_translation(cogan_dir, tmp_path):
    from ui import common

    h, _ = _build([cogan_dir])
    m = common.load_model(cogan_dir)
    with torch.no_grad():
        x = m.decode(torch.randn(1, m.cfg.z_dim, generator=torch.Generator().manual_seed(3)), None, "A")
    path = tmp_path / "digit.png"
    Image.fromarray(((x[0, 0].numpy() + 1) * 127.5).round().astype(np.uint8)).save(path)
    updates = list(h["pairs_invert"](cogan_dir, "A", str(path), 40))
    strip, note = updates[-1]
    assert strip.ndim == 3 and strip.shape[1] > 3 * 4 * m.image_size  # input, reconstruction, translation
    errs = [float(v) for v in re.findall(r"step \d+: (\d+\.\d+)", note)]
    assert len(errs) == 4, note
    assert errs[-1] < errs[0], note


def test_clear_messages(cogan_dir, tmp_path):
    import gradio as gr

    from xdomain.methods.disentangle import Disentangle

    h, _ = _build([cogan_dir])
    with pytest.raises(gr.Error, match="No image file"):
        list(h["pairs_invert"](cogan_dir, "A", None, 40))
    other = str(hub.save_checkpoint(tmp_path / "tiny-disentangle", Disentangle(Disentangle.tiny_config()).eval()))
    with pytest.raises(gr.Error, match="does not draw pairs"):
        h["pairs_grid"](other, 0, 4)


def _registered(spec, tmp_path, monkeypatch):
    """Register ``spec`` for the test and make its checkpoint folder (empty; the test writes config.json)."""
    from ui import selector
    from xdomain import registry

    monkeypatch.setitem(registry.CHECKPOINTS, spec.name, spec)
    folder = tmp_path / spec.name
    folder.mkdir()
    monkeypatch.setattr(selector.hub, "resolve", lambda name, allow_download=False: folder)
    return folder


def test_face_pair_bar_decides_the_experimental_label(tmp_path, monkeypatch):
    """A CoGAN face pair's dropdown label comes from its stored figures against the ``face-pair`` bar (differs
    ≥ 80%, kept ≥ 85%, identity ratio ≤ 0.80): clearing it gives the plain label, missing any figure, or having
    none stored, adds "experimental" and the figures; a checkpoint without a whole-model bar is untouched."""
    import json

    from ui import selector
    from xdomain import registry
    from xdomain.metrics import bars

    good = {"pair_attr_differs": 0.88, "kept_mean": 0.90, "pair_id_ratio": 0.35}
    assert bars.check("face-pair", good).passed
    for key, bad in (("pair_attr_differs", 0.66), ("kept_mean", 0.82), ("pair_id_ratio", 0.9)):
        assert not bars.check("face-pair", good | {key: bad}).passed
    spec = registry.CheckpointSpec("tiny-pair", "cogan", "celeba_Smiling", "test", tabs=("pairs",),
                                   label="Tiny pair (CoGAN)", bar="face-pair")
    folder = _registered(spec, tmp_path, monkeypatch)
    for metrics, plain in ((good, True), (good | {"pair_attr_differs": 0.66}, False), ({}, False)):
        (folder / "config.json").write_text(json.dumps({"method": "cogan", "config": {}, "metrics": metrics}))
        label = selector.display_name(spec.name)
        assert (label == "Tiny pair (CoGAN)") is plain, label
        if not plain:
            assert label.startswith("Tiny pair (CoGAN) — experimental: ") and "(bar 80%)" in label
    (folder / "config.json").write_text("not json")  # unreadable: experimental, no crash
    assert "experimental" in selector.display_name(spec.name)
    assert selector.display_name("cogan-mnist-negative") == registry.CHECKPOINTS["cogan-mnist-negative"].display


def test_per_direction_bar_names_each_failing_direction(tmp_path, monkeypatch):
    """A checkpoint with a per-direction bar (``face-attribute``) listed outside the Face tab (UNIT in the
    Interpolate tab) reads plain only when every stored direction clears it; otherwise each failing direction
    is named by its domains with its figures, and a passing one is left out."""
    import json

    from ui import selector
    from xdomain import registry

    spec = registry.CheckpointSpec("tiny-attr", "unit", "celeba_Male", "test", tabs=("interpolate",),
                                   label="Tiny M/F (UNIT)", bar="face-attribute")
    folder = _registered(spec, tmp_path, monkeypatch)
    good = {f"{k}_{d}": v for d in ("a2b", "b2a") for k, v in (("flipped", 0.9), ("kept_mean", 0.9), ("diversity", 1.0))}
    facts = {"directions": ["a2b", "b2a"], "domain_names": ["Male", "Female"]}
    for metrics, want in ((good, "Tiny M/F (UNIT)"),
                          (good | {"kept_mean_a2b": 0.8}, "Tiny M/F (UNIT) — experimental: Male → Female: flipped 90.0%, "
                                                          "kept 80.0% (bar 85%), diversity 1.00")):
        (folder / "config.json").write_text(json.dumps({"method": "unit", "config": {}, "metrics": metrics,
                                                        "facts": facts}))
        assert selector.display_name(spec.name) == want


def test_a_figure_that_misses_its_bar_never_rounds_onto_it():
    from xdomain.metrics import bars
    bar = bars.BARS["face-attribute"]
    v = bars.check("face-attribute", {"flipped_a2b": 0.869, "kept_mean_a2b": 0.8497, "diversity_a2b": 1.04})
    assert not v.passed
    assert "kept 84.97% (bar 85%)" in v.summary(bar) and "flipped 86.9%," in v.summary(bar)
    ok = bars.check("face-attribute", {"flipped_a2b": 0.869, "kept_mean_a2b": 0.8503, "diversity_a2b": 1.04})
    assert ok.passed and "kept 85.0%," in ok.summary(bar)
    # the README's results table formats its UNIT face figures the same way
    assert bars.figure_text(0.8497, 0.85) == "84.97%" and bars.figure_text(0.8503, 0.85) == "85.0%"
    assert bars.figure_text(0.051, 0.05, sign=-1) == "5.1%" and bars.figure_text(0.8996, 0.9, share=False) == "0.8996"
