"""The toy mode-collapse tab (DiscoGAN §3.1) in Chromium and through gradio_client: it opens on the
precomputed paper-preset results, trains live (a short run), scrubs saved frames and offers a GIF."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.e2e.conftest import open_tab, shot

pytestmark = pytest.mark.slow
SHORT = 60  # iterations: enough for a few streamed frames, short enough for the suite


def _path(x) -> str:
    return x if isinstance(x, str) else x["path"]


def test_api_trains_streams_and_scrubs(client):
    job = client.submit(1, SHORT, 2e-3, 32, 5, 10, api_name="/toy2d_train")
    fig, table, status, slider, gif = job.result(timeout=300)  # the run itself stays in session state
    assert len(job.outputs()) >= 2, "the handler did not stream"
    assert "Done" in status and f"{SHORT} / {SHORT}" in status
    img = np.asarray(Image.open(_path(fig)).convert("RGB"))
    assert img.ndim == 3 and img.std() > 5
    assert Image.open(_path(gif)).n_frames >= 1
    rows = table["data"] if isinstance(table, dict) else table
    assert [r[0] for r in rows] == ["standard GAN", "GAN + reconstruction", "DiscoGAN"]
    fig0, table0 = client.predict(0, api_name="/toy2d_scrub")  # the run lives in this client's session state
    rows0 = table0["data"] if isinstance(table0, dict) else table0
    assert rows0[0][1] == "0 / 10"  # frame 0: G has not reached B yet


def test_api_shows_precomputed_seeds(client):
    from xdomain import toylab

    if not toylab.load_runs():
        pytest.skip("no precomputed runs committed")
    fig, table, status, slider, *_ = client.predict(3, api_name="/toy2d_show_seed")
    assert "seed 3" in status and "Precomputed" in status


def test_tab_opens_on_results_and_trains_in_chromium(app_url, page):
    page.goto(app_url)
    page.get_by_text("xdomain").first.wait_for()
    open_tab(page, "toy2d")
    page.locator("#toy2d-train").wait_for(state="visible")
    status = page.locator("#toy2d-status")
    assert "Precomputed" in status.inner_text()  # results shown the moment the tab opens
    first = page.locator("#toy2d-figure img").first
    first.wait_for(state="visible")
    shot(page, "toy2d-tab-precomputed")

    page.locator("#toy2d-iters input").fill(str(SHORT))
    page.locator("#toy2d-train").click()
    status.get_by_text(f"Done iteration {SHORT} / {SHORT}").wait_for(timeout=180_000)
    page.locator("#toy2d-gif a, #toy2d-gif .file-preview").first.wait_for(timeout=30_000)
    shot(page, "toy2d-tab-trained")

    table = page.locator("#toy2d-metrics")
    before = table.inner_text()
    slider = page.locator("#toy2d-frame input[type=range]")
    slider.focus()
    page.keyboard.press("Home")  # a real slider move: back to frame 0 (the initial state)
    page.wait_for_function("b => document.querySelector('#toy2d-metrics').innerText !== b", arg=before, timeout=60_000)
    assert slider.input_value() == "0"
    assert not [t for t in page.locator(".toast-body").all_inner_texts() if t.strip()]
