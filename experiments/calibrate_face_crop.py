"""Measure how OpenCV's Haar face box relates to the CelebA 64×64 crop (writes the constants used
by :mod:`xdomain.face`).

Every staged CelebA face *is* the training crop (x 15..163, y 40..188 of the aligned 178×218
image, resized to 64×64). We upscale N of them ×``--scale``, paste each in the middle of a larger
canvas (edge-replicated border, so the detector sees some context like in a real photo), run the
same detector :mod:`xdomain.face` uses, and express the known crop square in units of the
detected box: side = k·w, centre = box centre + (dx·w, dy·w). Medians over all detections are the
calibration; the spread (IQR) and the detection rate are printed beside them.

    python -m experiments.calibrate_face_crop [--n 600] [--split train] [--json]
"""
from __future__ import annotations

import argparse
import json

import numpy as np
from PIL import Image

from xdomain import face
from xdomain.data import domains, resolve_root


def measure(images: np.ndarray, scale: int = 4, border: float = 0.75) -> np.ndarray:
    """Rows (k, dx, dy) for every image where a face was found."""
    rows = []
    for img in images:
        side = img.shape[0] * scale
        big = np.asarray(Image.fromarray(img).resize((side, side), Image.BICUBIC))
        pad = int(side * border)
        canvas = np.pad(big, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
        boxes = face.detect(canvas)
        if not boxes:
            continue
        x, y, w, h = max(boxes, key=lambda b: b[2] * b[3])
        cx, cy = x + w / 2, y + h / 2
        crop_c = pad + side / 2
        rows.append((side / w, (crop_c - cx) / w, (crop_c - cy) / w))
    return np.array(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--split", default="train")
    ap.add_argument("--data-root")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    x, cols = domains.celeba_split(resolve_root(args.data_root), args.split)
    idx = np.random.default_rng(0).choice(cols["index"], size=args.n, replace=False)
    rows = measure(np.asarray(x[np.sort(idx)]))
    med = np.median(rows, 0)
    q1, q3 = np.percentile(rows, [25, 75], 0)
    out = {"n_images": args.n, "n_detected": len(rows), "detect_rate": len(rows) / args.n,
           "CROP_SCALE": round(float(med[0]), 4), "CROP_DX": round(float(med[1]), 4), "CROP_DY": round(float(med[2]), 4),
           "iqr": {k: [round(float(a), 4), round(float(b), 4)] for k, a, b in zip(("scale", "dx", "dy"), q1, q3)}}
    print(json.dumps(out, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
