"""Safe image input: every odd upload becomes an :class:`ImageInputError` with a clear message.

Handles non-images, truncated/corrupt files, decompression bombs and huge files, EXIF
orientation, and every mode Pillow decodes (RGBA/LA/P with transparency composited on white,
CMYK, 16-bit ``I;16``/``I``, float ``F``, 1-bit, grayscale). Callers get an RGB ``PIL.Image``
or a ``[1,C,H,W]`` tensor in ``[-1, 1]``. Paths given here come from the caller (CLI argument
or Gradio's own temp upload), never from text a user typed into the page.
"""
from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

MB = 1024 * 1024  # "MB" as Gradio counts it ("20mb" = 20 × 1024² bytes)
MAX_FILE_BYTES = 20 * MB  # the app's upload limit; Gradio's own cap is set far above it (app.py)
MAX_PIXELS = 40_000_000  # ~6300×6300; larger is refused before decoding


class ImageInputError(ValueError):
    """The input is not an image this app can use; the message says why."""


def _megabytes(n: float) -> str:
    """31 → "31 MB", 20.4 → "20.4 MB" (in :data:`MB`)."""
    v = n / MB
    return f"{v:.0f} MB" if v >= 10 or v == int(v) else f"{v:.1f} MB"


def file_size_problem(n_bytes: int, limit: int = MAX_FILE_BYTES) -> str | None:
    """``None`` when a file of ``n_bytes`` is within the upload limit, else a message naming both sizes:
    "This file is too large: 31 MB; the limit is 20 MB. …"."""
    if n_bytes <= limit:
        return None
    size = _megabytes(n_bytes)
    if size == _megabytes(limit):  # just over: show the extra precision so the numbers differ
        size = f"{n_bytes / MB:.2f} MB"
    return (f"This file is too large: {size}; the limit is {_megabytes(limit)}. "
            "Pick a smaller image (resize it, or save it as JPEG).")


def check_file_size(path: str | os.PathLike, limit: int = MAX_FILE_BYTES) -> int:
    """The file's size in bytes; :class:`ImageInputError` if it is missing or over ``limit``."""
    path = Path(path)
    if not path.is_file():
        raise ImageInputError(f"File not found: {path.name}")
    size = path.stat().st_size
    if (msg := file_size_problem(size, limit)) is not None:
        raise ImageInputError(msg)
    return size


def _to_rgb(img: Image.Image) -> Image.Image:
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = (arr - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(arr)
        img = Image.fromarray(arr.round().astype(np.uint8), "L")
    elif mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    elif mode == "CMYK":
        img = img.convert("RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa"):
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, rgba).convert("RGB")
    return img.convert("RGB")


def open_image(src: str | os.PathLike | bytes | Image.Image | np.ndarray) -> Image.Image:
    """Decode anything reasonable into an RGB image, or raise :class:`ImageInputError`."""
    if src is None:
        raise ImageInputError("No image was given: upload an image first.")
    if isinstance(src, np.ndarray):
        if src.ndim not in (2, 3) or src.size == 0:
            raise ImageInputError(f"Expected an H×W or H×W×C image array, got shape {src.shape}.")
        arr = src
        if arr.dtype != np.uint8:
            a = arr.astype(np.float64)
            a = a * 255 if a.max() <= 1.0 else a
            arr = np.clip(a, 0, 255).round().astype(np.uint8)
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[..., 0]
        return _to_rgb(Image.fromarray(arr))
    if isinstance(src, Image.Image):
        img = src
    else:
        if isinstance(src, (bytes, bytearray)):
            if (msg := file_size_problem(len(src))) is not None:
                raise ImageInputError(msg)
            fh = io.BytesIO(src)
        else:
            path = Path(src)
            if check_file_size(path) == 0:
                raise ImageInputError("The file is empty.")
            fh = io.BytesIO(path.read_bytes())  # ≤ 20 MB; Pillow would otherwise keep (and leak) the file open
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                img = Image.open(fh)
                w, h = img.size
                if w * h > MAX_PIXELS:
                    raise ImageInputError(f"The image is too large ({w}×{h} pixels; the limit is {MAX_PIXELS // 10**6} megapixels).")
                img.load()
        except ImageInputError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageInputError("The image is too large to decode safely (decompression bomb protection).") from None
        except UnidentifiedImageError:
            raise ImageInputError("This file is not an image Pillow can read (try PNG or JPEG).") from None
        except (OSError, SyntaxError, ValueError) as e:
            raise ImageInputError(f"The image file is corrupt or truncated ({e}).") from None
    if img.width < 4 or img.height < 4:
        raise ImageInputError(f"The image is too small ({img.width}×{img.height}).")
    try:
        img = ImageOps.exif_transpose(img) or img
    except Exception:  # noqa: BLE001 - a broken EXIF block should not reject the picture
        pass
    return _to_rgb(img)


def to_tensor(img: Image.Image, size: int, channels: int = 3, fit: str = "center_crop") -> torch.Tensor:
    """RGB image → [1, channels, size, size] in [-1, 1] (centre square crop, then resize)."""
    if fit == "center_crop":
        s = min(img.size)
        left, top = (img.width - s) // 2, (img.height - s) // 2
        img = img.crop((left, top, left + s, top + s))
    img = img.resize((size, size), Image.BICUBIC)
    if channels == 1:
        img = img.convert("L")
    arr = np.asarray(img, dtype=np.float32) / 127.5 - 1.0
    t = torch.from_numpy(arr)
    t = t.unsqueeze(0) if t.ndim == 2 else t.permute(2, 0, 1)
    return t.unsqueeze(0).contiguous()


def load_tensor(src, size: int, channels: int = 3) -> torch.Tensor:
    return to_tensor(open_image(src), size, channels)


def save_png(t: torch.Tensor, path: str | os.PathLike) -> None:
    """[C,H,W] or [1,C,H,W] in [-1,1] → PNG."""
    if t.ndim == 4:
        t = t[0]
    arr = ((t.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()
    Image.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr).save(path, format="PNG")
