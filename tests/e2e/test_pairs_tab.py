"""The Pairs tab on the committed CoGAN digit ↔ negative checkpoint (issue 15), in Chromium and through
gradio_client: it opens on a grid of pairs and an interpolation, a z slider changes the pair, and an
uploaded digit is inverted and translated into its negative (the MNIST judge reads the same digit)."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.e2e.conftest import open_tab, require_landed, shot

pytestmark = pytest.mark.slow
CKPT = "cogan-mnist-negative"


def test_pairs_tab_in_chromium(app_url, page):
    require_landed(CKPT)
    page.goto(app_url)
    open_tab(page, "pairs")
    grid = page.locator("#pairs-grid img")
    grid.wait_for(timeout=60_000)  # painted when the page opens
    page.locator("#pairs-interpolation img").wait_for(timeout=60_000)
    walk = page.locator("#pairs-walk img")
    walk.wait_for(timeout=60_000)
    before = walk.get_attribute("src")
    page.locator("#pairs-dir-1 input[type=range]").focus()
    page.keyboard.press("End")
    page.wait_for_function(
        "(b) => { const i = document.querySelector('#pairs-walk img'); return i && i.src !== b; }",
        arg=before, timeout=30_000)
    assert not [t for t in page.locator(".toast-body").all_inner_texts() if t.strip()]
    shot(page, "tab-pairs")


def test_inversion_translates_a_test_digit_into_its_negative(client, tmp_path):
    import torch
    from gradio_client import handle_file

    from xdomain import hub
    from xdomain.data import domains, resolve_root

    require_landed(CKPT)
    d = domains.get_domains("mnist_negative", resolve_root(), "test", 0, size=28)
    x, label = d["A"][5], int(d["label_A"][5])
    path = tmp_path / "digit.png"
    Image.fromarray(((x[0].numpy() + 1) * 127.5).round().astype(np.uint8)).save(path)
    strip, note = client.predict(CKPT, "A", handle_file(str(path)), 150, api_name="/pairs_invert")
    assert "Reconstruction error by step" in note
    s = np.asarray(Image.open(strip).convert("L"), np.float32)
    m = hub.load_model(CKPT)
    cell, pad = 4 * m.image_size, 4  # labelled_strip: ×4 tiles with 4-px gaps
    tiles = [s[pad:pad + cell, pad + i * (cell + pad): pad + i * (cell + pad) + cell] for i in range(3)]
    out = torch.from_numpy(tiles[2][::4, ::4].copy())[None, None] / 127.5 - 1  # the translation, 28×28
    judge = hub.load_model("judge-mnist")
    from xdomain.methods.cogan import _pad_for

    assert int(judge.predict(_pad_for(judge, -out))[0]) == label  # its negative reads as the input's digit
