"""The Translate tab on models without an exclusive code (DiscoGAN bags ↔ shoes, DTN digits):
one output and the round trip instead of code sliders, in both directions, from test images and
uploads — through gradio_client and in Chromium."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from xdomain import registry
from tests.e2e.conftest import open_tab, require_landed, shot

pytestmark = pytest.mark.slow
CKPT = "discogan-fashion-bags-shoes"


@pytest.fixture(autouse=True)
def _landed():
    require_landed(CKPT)


def _img(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), np.float32)


@pytest.mark.parametrize("direction", ["a2b", "b2a"])
def test_test_image_gives_output_and_round_trip(client, direction):
    from gradio_client import handle_file

    src = client.predict(CKPT, direction, 2, api_name="/translate_input_test")
    out, strip, note = client.predict(CKPT, direction, handle_file(src), api_name="/translate_once")
    o, s = _img(out), _img(strip)
    assert o.shape == (128, 128, 3) and o.std() > 2
    assert s.shape[1] > 3 * 128 and s.std() > 5  # input, G(x), back(G(x))
    first, second = ("Bags", "Shoes") if direction == "a2b" else ("Shoes", "Bags")
    assert f"{first} → {second} → {first}" in note


def test_upload_of_either_domain_works(client, tmp_path):
    from gradio_client import handle_file

    rng = np.random.default_rng(0)
    path = tmp_path / "photo.png"
    Image.fromarray((rng.random((90, 120, 3)) * 255).astype(np.uint8)).save(path)
    for direction in ("a2b", "b2a"):
        src = client.predict(CKPT, handle_file(str(path)), api_name="/translate_input_upload")
        assert _img(src).shape == (128, 128, 3)
        out, strip, _ = client.predict(CKPT, direction, handle_file(src), api_name="/translate_once")
        assert _img(out).shape == (128, 128, 3) and strip is not None


def test_non_image_upload_gives_a_message(client, tmp_path):
    from gradio_client import handle_file

    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    with pytest.raises(Exception, match="(?i)image"):
        client.predict(CKPT, handle_file(str(bad)), api_name="/translate_input_upload")


def test_one_way_model_has_no_round_trip(client):
    from gradio_client import handle_file

    require_landed("dtn-usps-mnist")
    src = client.predict("dtn-usps-mnist", "a2b", 0, api_name="/translate_input_test")
    out, strip, note = client.predict("dtn-usps-mnist", "a2b", handle_file(src), api_name="/translate_once")
    assert _img(out).std() > 2 and strip is None and "one way" in note
    with pytest.raises(Exception, match="only translates"):
        client.predict("dtn-usps-mnist", "b2a", handle_file(src), api_name="/translate_once")


def test_switching_to_bags_shoes_in_chromium(app_url, page):
    page.goto(app_url)
    open_tab(page, "translate")
    page.locator("#translate-model input").click()
    page.get_by_role("option", name=registry.get_checkpoint(CKPT).label, exact=True).click()  # labels, not raw names
    page.locator("#translate-roundtrip img").wait_for(timeout=60_000)
    assert not page.locator("#code-0").is_visible()  # no useless sliders
    radio = page.locator("#translate-direction")
    radio.get_by_text("Shoes → Bags").wait_for()
    radio.get_by_text("Shoes → Bags").click()
    page.locator("#translate-roundtrip-note").get_by_text("Shoes → Bags → Shoes").wait_for(timeout=60_000)
    assert not [t for t in page.locator(".toast-body").all_inner_texts() if t.strip()]
    shot(page, "translate-bags-shoes")
    page.locator("#translate-model input").click()
    page.get_by_role("option", name=registry.get_checkpoint("dtn-usps-mnist").label, exact=True).click()
    radio.get_by_text("USPS → MNIST").wait_for()
    page.wait_for_timeout(1500)
    assert radio.locator("input[type=radio]").count() == 1  # the DTN only has a2b
