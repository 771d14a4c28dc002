"""Calibrate a CelebA judge's per-attribute decision thresholds on *validation* identities.

A multi-label judge decides at probability 0.5 (logit 0). For rare attributes that misses most
positives: ``judge-celeba-robust`` calls only 49% of real black-haired test faces black-haired. This
picks, per attribute, the logit threshold that maximises balanced accuracy on the official CelebA
validation identities (never the test identities, never a translator's output) and stores it in the
judge's ``config.json`` under ``"calibration"``; :func:`xdomain.judges.load_judge` attaches it and the
Blond ↔ Black pair verdict uses it (:func:`xdomain.metrics.discogan.domain_verdicts`).

    python -m experiments.calibrate_judge judge-celeba-robust [--limit 8000] [--write]
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from xdomain import hub
from xdomain.data import domains, resolve_root, sources
from xdomain.judges import calibrate, load_judge

ATTRS = ("Male", "Blond_Hair", "Black_Hair", "Brown_Hair", "Gray_Hair", "Eyeglasses", "No_Beard", "Smiling", "Young")


def run(name: str, limit: int, data_root=None) -> dict:
    judge = load_judge(name)
    if judge is None:
        raise SystemExit(f"judge {name!r} is not available")
    x, cols = domains.celeba_split(resolve_root(data_root), "val")
    idx = cols["index"][:limit]
    images = domains.to_tensor(np.asarray(x[idx]))
    labels = torch.from_numpy(np.stack([cols[a][:limit] for a in sources.CELEBA_ATTRS], 1))
    cal = calibrate(judge, images, labels, list(sources.CELEBA_ATTRS))
    return {"split": "val", "n": int(len(idx)), **{a: cal[a] for a in ATTRS}}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("judge", help="judge checkpoint name or folder")
    p.add_argument("--limit", type=int, default=8000, help="validation faces used")
    p.add_argument("--write", action="store_true", help="store the thresholds in the judge's config.json")
    p.add_argument("--data-root", help="datasets folder")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    cal = run(a.judge, a.limit, a.data_root)
    print(json.dumps(cal, indent=1))
    if a.write:
        folder = hub.resolve(a.judge, allow_download=False)
        meta = hub.read_meta(folder)
        meta["calibration"] = cal
        hub.atomic_write_bytes(folder / hub.CONFIG_NAME, (json.dumps(meta, indent=2) + "\n").encode())
        print(f"wrote the calibration into {folder / hub.CONFIG_NAME}")


if __name__ == "__main__":
    main()
