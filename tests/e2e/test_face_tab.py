"""The Face tab in Chromium: an uploaded photo (a CelebA *test* face pasted into a larger picture,
built at test time — no CelebA image is stored in the repo) gives a crop and an emoji; a photo
without a face and a non-image file give their messages."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.e2e.conftest import open_tab, shot

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def face_photo(tmp_path_factory, data_root):
    if not (data_root / "celeba" / "faces_64.tar").is_file():
        pytest.skip("CelebA not staged")
    from ui.tabs.face import example_photo

    path = tmp_path_factory.mktemp("face") / "photo.jpg"
    Image.fromarray(example_photo(0, data_root)).save(path, quality=92)
    return path


@pytest.fixture(scope="module")
def no_face_photo(tmp_path_factory):
    rng = np.random.default_rng(1)
    path = tmp_path_factory.mktemp("noface") / "wall.png"
    Image.fromarray((rng.random((240, 320, 3)) * 30 + 110).astype(np.uint8)).save(path)
    return path


def _face_tab(page, app_url):
    from xdomain.registry import checkpoints_for_tab

    if not checkpoints_for_tab("face"):
        pytest.fail("no checkpoint is registered for the face tab")
    page.goto(app_url)
    page.get_by_text("xdomain").first.wait_for()
    open_tab(page, "face")
    page.locator("#face-file").wait_for(state="visible")


def _upload(page, path) -> None:
    page.locator("#face-file input[type=file]").set_input_files(str(path))


def _image_src(page, elem: str) -> str:
    img = page.locator(f"#{elem} img").first
    img.wait_for(state="visible", timeout=60_000)
    return img.get_attribute("src") or ""


def test_uploaded_photo_gives_crop_and_emoji(app_url, page, face_photo):
    _face_tab(page, app_url)
    _upload(page, face_photo)
    page.locator("#face-message").get_by_text("Found 1 face").wait_for(timeout=60_000)
    assert _image_src(page, "face-crop")
    assert _image_src(page, "face-output")
    shot(page, "face-tab-emoji")


def test_api_returns_an_emoji_different_from_the_crop(client, face_photo):
    from gradio_client import handle_file

    from xdomain.registry import checkpoints_for_tab

    target = checkpoints_for_tab("face")[0].name
    photo, crop, out, message = client.predict(target, handle_file(str(face_photo)), False, api_name="/face_run")
    assert "Found" in message
    c, o = (np.asarray(Image.open(p if isinstance(p, str) else p["path"]).convert("RGB"), np.float32) for p in (crop, out))
    assert c.shape == o.shape == (256, 256, 3)
    assert o.std() > 5  # not a blank image
    assert np.abs(c - o).mean() > 10  # translated, not passed through


def test_no_face_message_and_whole_image_button(app_url, page, no_face_photo):
    _face_tab(page, app_url)
    _upload(page, no_face_photo)
    page.locator("#face-message").get_by_text("No face found").wait_for(timeout=60_000)
    button = page.locator("#face-use-whole")
    button.wait_for(state="visible")
    shot(page, "face-tab-no-face")
    button.click()
    page.locator("#face-message").get_by_text("whole image").wait_for(timeout=60_000)
    assert _image_src(page, "face-output")


def test_non_image_file_message(app_url, page, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("definitely not a photo")
    _face_tab(page, app_url)
    _upload(page, bad)
    page.locator("#face-message").get_by_text("Cannot use this file").wait_for(timeout=60_000)
    assert "not an image" in page.locator("#face-message").inner_text()
    shot(page, "face-tab-bad-file")
