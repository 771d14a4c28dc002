"""The four exploration tabs on the committed disentanglement checkpoint: gradio_client + Chromium."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.e2e.conftest import open_tab, shot
from ui.common import checkpoint_status

pytestmark = pytest.mark.slow
CKPT = "disentangle-mnist-cdcb"

if checkpoint_status(CKPT) is not None:  # pragma: no cover - the checkpoint is committed
    pytest.fail(f"{CKPT} is missing: {checkpoint_status(CKPT)}", pytrace=False)


def _img(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_translate_api_code_changes_output(client):
    from gradio_client import handle_file

    src = client.predict(CKPT, "a2b", 3, api_name="/translate_input_test")
    out0 = _img(client.predict(CKPT, "a2b", handle_file(src), *[0.0] * 8, api_name="/translate_code"))
    out1 = _img(client.predict(CKPT, "a2b", handle_file(src), *[2.0, -2.0] * 4, api_name="/translate_code"))
    assert out0.shape == out1.shape == (128, 128, 3) or out0.shape[:2] == out1.shape[:2]
    assert np.abs(out0.astype(int) - out1.astype(int)).mean() > 2, "the exclusive code does not change the output"
    grid = _img(client.predict(CKPT, "a2b", handle_file(src), 8, 0, 1.0, api_name="/translate_diverse"))
    assert grid.ndim == 3
    seed_and_code = client.predict(CKPT, 5, api_name="/translate_randomise")
    assert len(seed_and_code) == 9


def test_analogies_interpolate_retrieve_api(client):
    from gradio_client import handle_file

    sheet = client.predict(CKPT, "A", 3, 0, "Test set", [], "Test set", [], api_name="/analogies_run")
    assert _img(sheet).ndim == 3
    a = client.predict(CKPT, "A", 0, api_name="/interpolate_first_test")
    b = client.predict(CKPT, "A", 1, api_name="/interpolate_second_test")
    strip, gif = client.predict(CKPT, "A", handle_file(a), handle_file(b), "shared", 6, api_name="/interpolate_run")
    assert _img(strip).ndim == 3 and Image.open(gif).n_frames >= 6
    q = client.predict(CKPT, "A", 7, api_name="/retrieve_query_test")
    shared, exclusive, pixels, summary = client.predict(CKPT, "A", handle_file(q), "other", api_name="/retrieve_run")
    for sheet in (shared, exclusive, pixels):  # one image of the 10 neighbours per feature kind
        assert _img(sheet).shape[1] == 5 * (4 * 32 + 4) + 4
    assert "neighbours' digits" in summary
    assert "Recall" in client.predict(CKPT, api_name="/retrieve_metrics")


def test_translate_sliders_move_output_in_chromium(app_url, page):
    page.goto(app_url)
    open_tab(page, "translate")
    out = page.locator("#translate-output img")
    out.wait_for()
    before = out.get_attribute("src")
    for i in range(8):  # some code dimensions may be ignored by the model: move them all
        page.locator(f"#code-{i} input[type=range]").focus()
        page.keyboard.press("End")
    page.wait_for_function(
        "(b) => { const i = document.querySelector('#translate-output img'); return i && i.src !== b; }",
        arg=before, timeout=20_000)
    shot(page, "translate-sliders")
    page.locator("#translate-randomise").click()
    page.wait_for_timeout(1000)


@pytest.mark.parametrize("tab,button,result", [
    ("analogies", "#analogies-run", "#analogies-grid img"),
    ("interpolate", "#interpolate-run", "#interpolate-strip img"),
    ("retrieve", "#retrieve-run", "#retrieve-shared img"),
])
def test_tab_runs_in_chromium(app_url, page, tab, button, result):
    page.goto(app_url)
    open_tab(page, tab)
    page.locator(button).click()
    page.locator(result).first.wait_for(timeout=60_000)
    assert not [t for t in page.locator(".toast-body").all_inner_texts() if t.strip()]
    shot(page, f"{tab}-result")
