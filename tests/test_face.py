"""The face pipeline (xdomain.face): a CelebA test face pasted into a larger photo is found and its
crop matches the training crop; no face, several faces, EXIF rotation and bad files."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from xdomain import face
from xdomain.data import domains
from xdomain.imageio import ImageInputError

SCALE, CANVAS, AT = 4, (640, 480), (300, 120)


@pytest.fixture(scope="module")
def test_faces(data_root) -> np.ndarray:
    if not (data_root / "celeba" / "faces_64.tar").is_file():
        pytest.skip("CelebA not staged")
    x, cols = domains.celeba_split(data_root, "test")
    return np.asarray(x[cols["index"][:24]])  # identity-disjoint from everything trained


def paste(faces: list[np.ndarray], at: list[tuple[int, int]], scales: list[int], size=CANVAS) -> Image.Image:
    canvas = Image.new("RGB", size, (128, 128, 128))
    for f, xy, s in zip(faces, at, scales):
        canvas.paste(Image.fromarray(f).resize((64 * s, 64 * s), Image.BICUBIC), xy)
    return canvas


def test_pasted_celeba_face_is_found_and_crop_matches(test_faces):
    errors, found = [], 0
    for f in test_faces:
        r = face.face_crop(paste([f], [AT], [SCALE]))
        if not r.found:
            continue
        found += 1
        left, top, side, _ = r.region
        truth = (AT[0], AT[1], 64 * SCALE)
        # the calibrated square lands on the pasted crop (in units of its side)
        errors.append(max(abs(left - truth[0]), abs(top - truth[1]), abs(side - truth[2])) / truth[2])
        assert r.image.size == (64, 64) and r.n_faces == 1 and r.message == "Found 1 face."
    assert found >= 0.75 * len(test_faces)
    assert np.median(errors) < 0.08
    # pixels: the median crop differs little from the original 64×64 face
    r = face.face_crop(paste([test_faces[0]], [AT], [SCALE]))
    if r.found:
        diff = np.abs(np.asarray(r.image, np.float32) - test_faces[0].astype(np.float32)).mean()
        assert diff < 40


def test_no_face_says_so_and_whole_image_option():
    rng = np.random.default_rng(0)
    img = Image.fromarray((rng.random((200, 300, 3)) * 40 + 100).astype(np.uint8))
    r = face.face_crop(img)
    assert not r.found and r.image is None and "No face found" in r.message and "whole image" in r.message
    r = face.face_crop(img, use_whole_image=True)
    assert r.image.size == (64, 64) and r.region == (50, 0, 200, 200) and "whole image" in r.message


def test_several_faces_take_the_largest(test_faces):
    big, small = 5, 3
    for a, b in zip(test_faces[:8], test_faces[8:16]):
        img = paste([a, b], [(20, 60), (420, 100)], [small, big], size=(800, 520))
        r = face.face_crop(img)
        if r.n_faces >= 2:
            break
    else:
        pytest.fail("no pair of pasted faces was detected as two faces")
    assert "using the largest" in r.message and str(r.n_faces) in r.message
    assert r.box[0] > 400  # the larger face was pasted on the right


def test_exif_orientation_is_applied(test_faces):
    photo = paste([test_faces[0]], [AT], [SCALE])
    assert face.face_crop(photo).found, "precondition: the upright photo has a detectable face"
    rotated = photo.rotate(90, expand=True)  # stored sideways...
    exif = Image.Exif()
    exif[0x0112] = 6  # ...with the tag saying "rotate 90° clockwise to view"
    buf = io.BytesIO()
    rotated.save(buf, "JPEG", exif=exif, quality=95)
    r = face.face_crop(buf.getvalue())
    assert r.found


@pytest.mark.parametrize("payload, match", [
    (b"this is not an image", "not an image"),
    (b"", "No image|empty|not an image"),
])
def test_bad_bytes_give_clear_errors(payload, match, tmp_path):
    p = tmp_path / "upload.jpg"
    p.write_bytes(payload)
    with pytest.raises(ImageInputError, match=match):
        face.face_crop(str(p))


def test_truncated_and_bomb_files(tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (300, 300), (200, 10, 10)).save(buf, "JPEG")
    p = tmp_path / "cut.jpg"
    p.write_bytes(buf.getvalue()[:200])
    with pytest.raises(ImageInputError, match="corrupt|truncated|not an image"):
        face.face_crop(str(p))
    bomb = io.BytesIO()
    Image.new("1", (12000, 12000)).save(bomb, "PNG")  # tiny file, 144 Mpx
    with pytest.raises(ImageInputError, match="too large"):
        face.face_crop(bomb.getvalue())


@pytest.mark.parametrize("mode", ["RGBA", "CMYK", "L", "I;16", "P"])
def test_odd_modes_are_converted(mode):
    img = Image.new("RGB", (120, 90), (90, 140, 200)).convert(mode)
    r = face.face_crop(img, use_whole_image=True)
    assert r.image.mode == "RGB" and r.image.size == (64, 64)


def test_crop_region_follows_the_calibration():
    left, top, side, _ = face.crop_region((100, 100, 100, 100))
    assert side == round(face.CROP_SCALE * 100)
    assert left + side / 2 == pytest.approx(150 + face.CROP_DX * 100, abs=1)
    assert top + side / 2 == pytest.approx(150 + face.CROP_DY * 100, abs=1)


# ----------------------------------------------------------------------------- turned photos, examples
EXAMPLE = Path(__file__).resolve().parents[1] / "ui" / "examples" / "astronaut.jpg"


@pytest.mark.parametrize("turn", [90, 270, 180])
def test_a_photo_turned_in_its_pixels_is_turned_back(turn):
    """A phone photo without its EXIF orientation: no upright face, so the pipeline tries the turns and
    finds the same face it finds in the upright photo (a stray background hit is not accepted)."""
    upright = face.face_crop(str(EXAMPLE))
    assert upright.found and upright.rotation == 0
    r = face.face_crop(Image.open(EXAMPLE).rotate(turn, expand=True))
    assert r.found and r.rotation == (360 - turn) % 360 and "turning the photo" in r.message
    diff = np.abs(np.asarray(r.image, np.float32) - np.asarray(upright.image, np.float32)).mean()
    assert diff < 3, f"the turned-back crop differs from the upright one by {diff:.1f} grey levels"


def test_random_celeba_faces_need_no_detection(data_root):
    """Seeds 0–39 of the Face tab's random CelebA face all translate (the aligned crop is used as it is)."""
    if not (data_root / "celeba" / "faces_64.tar").is_file():
        pytest.skip("CelebA not staged")
    from ui.tabs import face as tab

    target = tab.target_choices()[0][0][1]
    for seed in range(40):
        photo, crop, out, message, _, last, nxt = tab.face_random(target, seed)
        assert crop is not None and out is not None and "No face" not in message, (seed, message)
        assert nxt == seed + 1


def test_bundled_examples_by_label_only():
    from ui.tabs import face as tab

    for label in tab.EXAMPLES:
        assert tab.example_image(label).ndim == 3
    with pytest.raises(ValueError, match="Unknown example"):
        tab.example_image("../../checkpoints/x")
