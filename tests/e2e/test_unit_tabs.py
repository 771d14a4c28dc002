"""UNIT in the app (issue 14), on the committed ``unit-celeba-male-nonorm`` checkpoint (the offered one):

* Chromium: the Interpolate tab, switched to UNIT, renders the same line of shared codes as a man (strip A)
  and as a woman (strip B) — two different, non-blank strips labelled with the domain names;
* gradio_client: the Face tab translates one crop by DiscoGAN and by UNIT side by side (``face_methods``),
  draws UNIT's z = μ + s·η outputs (``face_samples``: s = 0 repeats μ's output, s > 0 varies it) and says
  plainly that a DiscoGAN target is deterministic.
"""
from __future__ import annotations

import io
from urllib.parse import urljoin

import numpy as np
from PIL import Image

from tests.e2e.conftest import open_tab, require_landed, shot
from ui.selector import display_name

UNIT = "unit-celeba-male-nonorm"  # the UNIT face model the app offers (meets the face bar)
DG = "discogan-celeba-male"


def _pixels(page, elem: str) -> np.ndarray:
    src = page.locator(f"#{elem} img").first.get_attribute("src")
    body = page.request.get(urljoin(page.url, src)).body()
    return np.asarray(Image.open(io.BytesIO(body)).convert("RGB"), np.float32)


def _read(p) -> np.ndarray:
    return np.asarray(Image.open(p if isinstance(p, str) else p["path"]).convert("RGB"), np.float32)


def test_interpolate_tab_renders_unit_codes_in_both_domains(app_url, page):
    require_landed(UNIT)
    page.goto(app_url)
    open_tab(page, "interpolate")
    page.locator("#interpolate-model input").click()
    page.get_by_role("option", name=display_name(UNIT), exact=True).click()  # its menu label (offered: no "experimental" suffix)
    page.locator("#interpolate-explain").get_by_text("shared latent space").wait_for(timeout=60_000)
    for picker in ("first", "second"):  # the pickers moved to the face model's test set, not left on the old one's
        page.locator(f"#interpolate-{picker}-note").get_by_text("Male test images").wait_for(timeout=90_000)
    page.locator("#interpolate-first-image img").wait_for(timeout=60_000)
    page.locator("#interpolate-second-image img").wait_for(timeout=60_000)
    page.locator("#interpolate-run").click()
    page.locator("#interpolate-strip img").wait_for(timeout=90_000)
    page.locator("#interpolate-strip-b img").wait_for(timeout=90_000)
    a, b = _pixels(page, "interpolate-strip"), _pixels(page, "interpolate-strip-b")
    assert a.shape == b.shape and a.shape[1] > 4 * a.shape[0]  # one row of 8 frames
    assert a.std() > 5 and b.std() > 5 and np.abs(a - b).mean() > 3  # two domains, not one strip twice
    labels = page.locator("#interpolate-strip, #interpolate-strip-b").all_inner_texts()
    assert any("Male" in t for t in labels) and any("Female" in t for t in labels)
    assert not [t for t in page.locator(".toast-body").all_inner_texts() if t.strip()]
    shot(page, "interpolate-unit")


def _tiles(strip: np.ndarray, n: int, pad: int = 4) -> list[np.ndarray]:
    """The ``n`` square tiles of a ``ui.common.labelled_strip`` (tiles side by side, ``pad`` apart)."""
    w = (strip.shape[1] - pad) // n - pad
    return [strip[pad:pad + w, pad + i * (w + pad):pad + i * (w + pad) + w] for i in range(n)]


def _crop(client, photo) -> str:
    from gradio_client import handle_file

    _, crop, out, message = client.predict(f"{DG}:a2b", handle_file(str(photo)), False, api_name="/face_run")
    assert "Found" in message and _read(out).std() > 5
    return crop


def test_face_tab_compares_discogan_and_unit_and_draws_unit_samples(client, data_root, tmp_path):
    from gradio_client import handle_file

    from xdomain.explore.faces import example_photo

    require_landed(UNIT)
    require_landed(DG)
    photo = tmp_path / "face.jpg"
    Image.fromarray(example_photo(3, data_root)).save(photo)
    crop = _crop(client, photo)

    img, note = client.predict(f"{DG}:a2b", handle_file(crop), True, api_name="/face_methods")
    strip = _read(img)
    assert strip.shape[1] > 3 * 150 and strip.std() > 5  # crop + DiscoGAN + UNIT
    assert "Male → Female" in note
    assert client.predict(f"{DG}:a2b", handle_file(crop), False, api_name="/face_methods") == (None, "")

    img, note = client.predict(f"{UNIT}:a2b", handle_file(crop), 4, 1.0, 0, api_name="/face_samples")
    cells = _tiles(_read(img), 6)  # crop, z = μ, four draws
    assert "4 draws" in note and "%" in note
    assert np.abs(cells[2] - cells[3]).mean() > 1  # two draws of η differ
    still, _ = client.predict(f"{UNIT}:a2b", handle_file(crop), 3, 0.0, 0, api_name="/face_samples")
    cells = _tiles(_read(still), 5)
    assert np.abs(cells[1] - cells[2]).mean() < 1 and np.abs(cells[2] - cells[4]).mean() < 1  # s = 0: μ's output
    none, msg = client.predict(f"{DG}:a2b", handle_file(crop), 4, 1.0, 0, api_name="/face_samples")
    assert none is None and "deterministic" in msg


def test_interpolate_upload_goes_through_the_face_pipeline(client, data_root, tmp_path):
    """A photo uploaded for a face model is cropped like the Face tab's (detector + CelebA square), not
    centre-cropped: the picker shows exactly :func:`xdomain.face.face_crop`'s 64×64 crop, enlarged."""
    from gradio_client import handle_file

    from ui import gallery
    from xdomain import face
    from xdomain.explore.faces import example_photo
    from xdomain.imageio import to_tensor

    require_landed(UNIT)
    photo = tmp_path / "face.png"
    Image.fromarray(example_photo(5, data_root)).save(photo)  # a face pasted off-centre into a grey photo
    shown = _read(client.predict(UNIT, handle_file(str(photo)),
                                 api_name="/interpolate_first_upload"))
    expected = gallery.show(to_tensor(face.face_crop(str(photo), use_whole_image=True).image, 64, 3)).astype(np.float32)
    centre = gallery.show(to_tensor(Image.open(photo).convert("RGB"), 64, 3)).astype(np.float32)
    assert shown.shape == expected.shape
    assert np.abs(shown - expected).mean() < 1 < np.abs(shown - centre).mean()
