"""The face pipeline: any photo → the 64×64 face crop the CelebA-trained models expect.

upload / webcam / example → :func:`xdomain.imageio.open_image` (bad files, decompression bombs,
odd modes → :class:`~xdomain.imageio.ImageInputError`; EXIF orientation applied) → OpenCV's
bundled Haar cascade (``haarcascade_frontalface_default.xml``) → a square crop placed relative to
the detected box → 64×64 (bicubic, as the staged CelebA crops were made).

The crop square is *calibrated*, not guessed: ``python -m experiments.calibrate_face_crop`` runs this same
detector on upscaled CelebA training crops pasted into larger canvases and measures the known
crop in units of the detected box width w:

    side = CROP_SCALE · w,   centre = box centre + (CROP_DX · w, CROP_DY · w)

Several faces: the largest is used and the message says so. A photo whose pixels are rotated (a
phone picture without its EXIF orientation) has no upright face: the pipeline then tries the photo
turned by 90°, 270° and 180° and says which turn found the face (``rotation``; boxes refer to the
turned photo, ``photo``). No face at all: ``found=False`` with a message; ``use_whole_image=True``
then centre-crops the whole picture instead.
No gradio here: the UI (``ui/tabs/face.py``) and the CLI both call :func:`face_crop`.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

from xdomain.imageio import open_image

# Measured by python -m experiments.calibrate_face_crop --n 300 (268 detected; IQR scale 1.33..1.50, dy -0.105..-0.079).
CROP_SCALE = 1.4222
CROP_DX = 0.0
CROP_DY = -0.0913
DETECT_MAX_SIDE = 1024  # detect on a downscaled copy of big photos (speed); boxes are mapped back
MIN_FACE_FRAC = 0.06  # ignore detections narrower than this fraction of the shorter image side
MIN_REL_SIZE = 0.4
CASCADE = "haarcascade_frontalface_default.xml"


@dataclass
class FaceCrop:
    """The pipeline's answer: the crop (``None`` when no face was found) and what happened."""

    image: Image.Image | None  # size×size RGB
    found: bool  # a face was detected (False also when the whole image was used)
    n_faces: int
    box: tuple[int, int, int, int] | None  # detector box (x, y, w, h) in the oriented photo
    region: tuple[int, int, int, int] | None  # the square actually cropped (left, top, side, side)
    message: str
    rotation: int = 0  # degrees (counter-clockwise) the photo was turned before the face was found
    photo: Image.Image | None = None  # the (oriented, possibly turned) photo that box and region refer to

TURNS = (90, 270, 180)  # tried in this order when no upright face is found (portrait phones first)
# Cascade confidence a detection needs: real faces score 1.2–10 (105 CelebA test faces pasted into photos:
# min 1.24, median 6.4), the stray hit Haar finds in an upside-down photo's background −1.2. A turned photo's
# detection must be surely a face, since a turn is only tried after the upright photo gave none.
UPRIGHT_MIN_WEIGHT = 0.0
TURNED_MIN_WEIGHT = 1.0
_TURN_WORDS = {90: "a quarter turn anticlockwise", 270: "a quarter turn clockwise", 180: "upside down"}


@lru_cache(maxsize=1)
def _cascade():
    import cv2

    c = cv2.CascadeClassifier(cv2.data.haarcascades + CASCADE)
    if c.empty():
        raise RuntimeError(f"OpenCV's bundled {CASCADE} could not be loaded")
    return c


def detect(rgb: np.ndarray, min_weight: float | None = None) -> list[tuple[int, int, int, int]]:
    """Face boxes (x, y, w, h) in an RGB uint8 [H, W, 3] image, largest first.

    ``min_weight`` drops detections whose cascade confidence (OpenCV's level weight) is below it: a
    real face scores far above 0, the stray hits Haar finds in a turned photo's background below it."""
    import cv2

    h, w = rgb.shape[:2]
    s = min(1.0, DETECT_MAX_SIDE / max(h, w))
    small = cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA) if s < 1 else rgb
    gray = cv2.equalizeHist(cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2GRAY))
    side = max(24, int(MIN_FACE_FRAC * min(gray.shape)))
    if min_weight is None:
        found = _cascade().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
    else:
        found, _, weights = _cascade().detectMultiScale3(gray, scaleFactor=1.1, minNeighbors=5, minSize=(side, side),
                                                         outputRejectLevels=True)
        found = [b for b, w in zip(found, np.ravel(weights)) if w >= min_weight]
    boxes = sorted((tuple(int(round(v / s)) for v in b) for b in (found if len(found) else [])), key=lambda b: -b[2] * b[3])
    kept: list[tuple[int, int, int, int]] = []
    for b in boxes:  # Haar's stray hits are small or overlap a bigger face: drop them
        cx, cy = b[0] + b[2] / 2, b[1] + b[3] / 2
        inside = any(k[0] <= cx <= k[0] + k[2] and k[1] <= cy <= k[1] + k[3] for k in kept)
        if not inside and b[2] >= MIN_REL_SIZE * boxes[0][2]:
            kept.append(b)
    return kept


def crop_region(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The calibrated CelebA-like square (left, top, side, side) for a detector box."""
    x, y, w, h = box
    side = CROP_SCALE * w
    cx, cy = x + w / 2 + CROP_DX * w, y + h / 2 + CROP_DY * w
    return round(cx - side / 2), round(cy - side / 2), round(side), round(side)


def crop_square(img: Image.Image, region: tuple[int, int, int, int], size: int) -> Image.Image:
    """Crop ``region`` (may leave the picture: edges are replicated) and resize to size×size."""
    left, top, side, _ = region
    arr = np.asarray(img)
    pad = max(0, -left, -top, left + side - img.width, top + side - img.height)
    if pad:
        arr = np.pad(arr, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    sq = arr[top + pad: top + pad + side, left + pad: left + pad + side]
    return Image.fromarray(sq).resize((size, size), Image.BICUBIC)


_CACHE: OrderedDict[tuple, FaceCrop] = OrderedDict()  # recent answers, in memory only (never written anywhere)
_CACHE_SIZE = 16
_cache_lock = threading.Lock()


def face_crop(src, *, use_whole_image: bool = False, size: int = 64) -> FaceCrop:
    """Photo (path, bytes, PIL, array) → :class:`FaceCrop`. Raises ``ImageInputError`` for bad files.

    The last few answers are kept in memory, keyed by a hash of the decoded pixels: the same photo run
    through another target (or sent again) skips the detector (≈ 90 ms of a 640×480 photo on this CPU)."""
    img = open_image(src)
    key = (hashlib.blake2b(img.tobytes(), digest_size=16).hexdigest(), img.size, bool(use_whole_image), int(size))
    with _cache_lock:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    out = _face_crop(img, use_whole_image, size)
    with _cache_lock:
        _CACHE[key] = out
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return out


def _face_crop(img: Image.Image, use_whole_image: bool, size: int) -> FaceCrop:
    for turn in (0, *TURNS):
        photo = img.rotate(turn, expand=True) if turn else img
        boxes = detect(np.asarray(photo), min_weight=TURNED_MIN_WEIGHT if turn else UPRIGHT_MIN_WEIGHT)
        if boxes:
            region = crop_region(boxes[0])
            msg = "Found 1 face." if len(boxes) == 1 else f"Found {len(boxes)} faces; using the largest."
            if turn:
                msg = f"No upright face; found one after turning the photo {_TURN_WORDS[turn]}. " + msg
            return FaceCrop(crop_square(photo, region, size), True, len(boxes), boxes[0], region, msg, turn, photo)
    if not use_whole_image:
        return FaceCrop(None, False, 0, None, None,
                        "No face found in this image, upright or turned. Try a clearer, frontal, well-lit photo, "
                        "or use the whole image (its centre square is translated as it is).", 0, img)
    side = min(img.size)
    region = ((img.width - side) // 2, (img.height - side) // 2, side, side)
    return FaceCrop(crop_square(img, region, size), False, 0, None, region,
                    "No face found; used the centre of the whole image as asked.", 0, img)
