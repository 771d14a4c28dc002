"""Odd uploads: every one becomes an RGB image or a clear :class:`ImageInputError`, never a crash."""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from xdomain.imageio import MAX_FILE_BYTES, ImageInputError, load_tensor, open_image, save_png


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _gradient_rgb(w: int = 40, h: int = 30) -> Image.Image:
    x = np.linspace(0, 255, w, dtype=np.uint8)[None, :].repeat(h, 0)
    return Image.fromarray(np.stack([x, 255 - x, np.full_like(x, 128)], -1), "RGB")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


@pytest.fixture(params=["path", "bytes"])
def as_input(request, tmp_path: Path):
    """Feed the same encoded file either as a path on disk (CLI, Gradio temp file) or as raw bytes."""

    def make(data: bytes, suffix: str = ".png"):
        if request.param == "bytes":
            return data
        p = tmp_path / f"upload{suffix}"
        p.write_bytes(data)
        return p

    return make


def _rgb(img: Image.Image) -> np.ndarray:
    assert img.mode == "RGB"
    return np.asarray(img)


# --------------------------------------------------------------------------- refused inputs
@pytest.mark.parametrize("data, match", [
    (b"this is a text file, not a picture" * 10, "not an image"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "not an image"),
    (b"GIF89a\x01", "corrupt or truncated|not an image"),
])
def test_non_images(as_input, data, match):
    with pytest.raises(ImageInputError, match=match):
        open_image(as_input(data, ".bin"))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_files(as_input, fmt):
    data = _encode(_gradient_rgb(256, 256).rotate(7), fmt)
    with pytest.raises(ImageInputError, match="corrupt or truncated"):
        open_image(as_input(data[: len(data) // 2], "." + fmt.lower()))


def test_empty_file(tmp_path: Path):
    p = tmp_path / "empty.png"
    p.write_bytes(b"")
    with pytest.raises(ImageInputError, match="empty"):
        open_image(p)
    with pytest.raises(ImageInputError):
        open_image(b"")


def test_missing_file_and_none(tmp_path: Path):
    with pytest.raises(ImageInputError, match="not found"):
        open_image(tmp_path / "nope.png")
    with pytest.raises(ImageInputError, match="No image"):
        open_image(None)


def test_decompression_bomb_header(as_input):
    """A 100-byte PNG whose header claims 100,000 × 100,000 pixels is refused before decoding."""
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)  # 8-bit RGB
    idat = zlib.compress(b"\x00" * 64)
    data = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")
    with pytest.raises(ImageInputError, match="too large"):
        open_image(as_input(data))


def test_file_too_large(tmp_path: Path):
    p = tmp_path / "big.png"
    with open(p, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(ImageInputError, match="too large"):
        open_image(p)
    with pytest.raises(ImageInputError, match="too large"):
        open_image(b"\0" * (MAX_FILE_BYTES + 1))


def test_tiny_image_refused(as_input):
    with pytest.raises(ImageInputError, match="too small"):
        open_image(as_input(_encode(Image.new("RGB", (2, 3)), "PNG")))


# --------------------------------------------------------------------------- modes → RGB
def test_rgba_composites_on_white(as_input):
    a = np.zeros((8, 8, 4), np.uint8)
    a[:, :4] = (0, 0, 255, 255)  # opaque blue
    a[:, 4:] = (255, 0, 0, 0)  # fully transparent red → white
    out = _rgb(open_image(as_input(_encode(Image.fromarray(a, "RGBA"), "PNG"))))
    assert (out[:, :4] == (0, 0, 255)).all() and (out[:, 4:] == 255).all()


def test_la_composites_on_white(as_input):
    a = np.zeros((8, 8, 2), np.uint8)
    a[:4] = (0, 255)  # opaque black
    a[4:] = (0, 0)  # transparent → white
    out = _rgb(open_image(as_input(_encode(Image.fromarray(a, "LA"), "PNG"))))
    assert (out[:4] == 0).all() and (out[4:] == 255).all()


def test_palette_with_transparency(as_input):
    img = Image.new("P", (8, 8), 0)
    img.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)  # index 0 red, 1 green
    img.paste(1, (0, 0, 8, 4))
    data = _encode(img, "PNG", transparency=0)  # red is the transparent index
    out = _rgb(open_image(as_input(data)))
    assert (out[:4] == (0, 255, 0)).all() and (out[4:] == 255).all()


def test_palette_gif(as_input):
    out = _rgb(open_image(as_input(_encode(_gradient_rgb().convert("P"), "GIF"), ".gif")))
    assert out.shape == (30, 40, 3)


def test_cmyk_jpeg(as_input):
    cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # pure red in CMYK
    out = _rgb(open_image(as_input(_encode(cmyk, "JPEG", quality=95), ".jpg")))
    r, g, b = out.reshape(-1, 3).mean(0)
    assert r > 200 and g < 60 and b < 60


def test_16bit_png(as_input):
    ramp = np.linspace(0, 65535, 64, dtype=np.uint16)[None].repeat(8, 0)
    img = Image.fromarray(ramp)
    assert img.mode.startswith("I")
    out = _rgb(open_image(as_input(_encode(img, "PNG"))))
    row = out[0, :, 0].astype(int)
    assert row[0] == 0 and row[-1] == 255 and (np.diff(row) >= 0).all()  # full range, order kept
    assert (out[..., 0] == out[..., 1]).all()


def test_float_tiff(as_input):
    f = np.linspace(-3.0, 5.0, 48, dtype=np.float32)[None].repeat(6, 0)
    out = _rgb(open_image(as_input(_encode(Image.fromarray(f, "F"), "TIFF"), ".tif")))
    row = out[0, :, 0].astype(int)
    assert row[0] == 0 and row[-1] == 255 and (np.diff(row) >= 0).all()


def test_constant_float_image_is_black_not_nan(as_input):
    out = _rgb(open_image(as_input(_encode(Image.fromarray(np.full((8, 8), 7.0, np.float32), "F"), "TIFF"), ".tif")))
    assert (out == 0).all()


def test_one_bit(as_input):
    img = Image.new("1", (8, 8), 0)
    img.paste(1, (0, 0, 8, 4))
    out = _rgb(open_image(as_input(_encode(img, "PNG"))))
    assert (out[:4] == 255).all() and (out[4:] == 0).all()


def test_grayscale(as_input):
    g = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4
    out = _rgb(open_image(as_input(_encode(Image.fromarray(g, "L"), "PNG"))))
    assert (out[..., 0] == g).all() and (out[..., 1] == g).all() and (out[..., 2] == g).all()


def test_exif_rotated_jpeg(as_input):
    """A camera JPEG stored landscape with EXIF orientation 6 must come out portrait, as displayed."""
    a = np.zeros((20, 40, 3), np.uint8)
    a[:, :20] = (255, 0, 0)  # left half red, right half black as stored
    img = Image.fromarray(a, "RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    out = _rgb(open_image(as_input(_encode(img, "JPEG", exif=exif.tobytes(), quality=95), ".jpg")))
    assert out.shape == (40, 20, 3)  # portrait
    top, bottom = out[:18].reshape(-1, 3).mean(0), out[22:].reshape(-1, 3).mean(0)
    assert top[0] > 200 and bottom[0] < 50  # the stored left half is now on top


def test_broken_exif_does_not_reject_the_picture(as_input):
    data = bytearray(_encode(_gradient_rgb(), "JPEG", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff"))
    out = _rgb(open_image(as_input(bytes(data), ".jpg")))
    assert out.shape == (30, 40, 3)


def test_webp_and_bmp(as_input):
    for fmt in ("WEBP", "BMP"):
        assert _rgb(open_image(as_input(_encode(_gradient_rgb(), fmt), "." + fmt.lower()))).shape == (30, 40, 3)


# --------------------------------------------------------------------------- arrays and tensors
@pytest.mark.parametrize("arr", [
    np.zeros((10, 12), np.uint8),
    np.zeros((10, 12, 1), np.uint8),
    np.zeros((10, 12, 3), np.uint8),
    np.zeros((10, 12, 4), np.uint8),
    np.random.default_rng(0).random((10, 12, 3)),  # float in [0,1]
    np.random.default_rng(0).random((10, 12)).astype(np.float32) * 255,
])
def test_numpy_arrays(arr):
    assert _rgb(open_image(arr)).shape == (10, 12, 3)


@pytest.mark.parametrize("shape", [(4,), (2, 3, 4, 5), (0, 3)])
def test_bad_arrays(shape):
    with pytest.raises(ImageInputError, match="shape"):
        open_image(np.zeros(shape, np.uint8))


def test_load_tensor_and_png_round_trip(tmp_path: Path):
    t = load_tensor(_encode(_gradient_rgb(60, 40), "PNG"), 32)
    assert t.shape == (1, 3, 32, 32) and t.dtype == torch.float32
    assert float(t.min()) >= -1 and float(t.max()) <= 1
    assert load_tensor(_encode(_gradient_rgb(), "PNG"), 16, channels=1).shape == (1, 1, 16, 16)

    q = torch.randint(0, 256, (1, 3, 8, 8)).float() / 127.5 - 1  # on the uint8 grid
    p = tmp_path / "out.png"
    save_png(q, p)
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    back = load_tensor(p, 8)
    assert torch.allclose(back, q, atol=1e-5)
    save_png(q[0, :1], tmp_path / "gray.png")
    with Image.open(tmp_path / "gray.png") as im:
        assert im.mode == "L"
