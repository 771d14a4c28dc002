"""How much pixel noise and blur move the CelebA judges' verdicts (why DiscoGAN is judged by
``judge-celeba-robust``). Prints a Markdown table; nothing in it is typed in.

    python -m experiments.judge_robustness [--limit 2000]

For each judge and each attribute DiscoGAN's metrics use: accuracy on clean test-identity faces,
on the same faces plus N(0, 0.1²) noise ([-1, 1] units, about what the generators' artifacts add)
and blurred (bilinear 64 → 32 → 64), and the share of clean test women / men called Young.
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn.functional as F

from xdomain import hub
from xdomain.data import resolve_root, sources
from xdomain.data.domains import celeba_columns, celeba_split, resize, to_tensor
from xdomain.metrics.discogan import KEPT_ATTRS

from xdomain.judges import judged

JUDGES = ("judge-celeba-attrs", "judge-celeba-robust")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=2000)
    ap.add_argument("--data-root", default=None)
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    x, cols = celeba_split(resolve_root(args.data_root), "test")
    idx = cols["index"][: args.limit]
    faces = resize(to_tensor(x[idx]), 64)
    labels = torch.from_numpy(np.stack([cols[a][: args.limit] for a in sources.CELEBA_ATTRS], 1))
    noisy = (faces + 0.1 * torch.randn(faces.shape, generator=torch.Generator().manual_seed(0))).clamp(-1, 1)
    blurred = F.interpolate(F.interpolate(faces, size=32, mode="bilinear", antialias=True), size=64, mode="bilinear")
    ai = celeba_columns(KEPT_ATTRS)
    yi, mi = celeba_columns(("Young", "Male"))
    print(f"Accuracy on {len(faces)} test-identity faces, clean / noise σ=0.1 / blurred (%):\n")
    print("| judge | " + " | ".join(KEPT_ATTRS) + " | Young called, women clean / noisy | Young called, men clean / noisy |")
    print("|---|" + "---|" * (len(KEPT_ATTRS) + 2))
    for name in JUDGES:
        try:
            judge = hub.load_model(name, allow_download=False)
        except hub.CheckpointError as e:
            print(f"| `{name}` | not available: {e} |")
            continue
        p = {k: judged(judge, v) for k, v in (("clean", faces), ("noisy", noisy), ("blur", blurred))}
        cells = [" / ".join(f"{100 * (p[k][:, i] == labels[:, i]).float().mean().item():.1f}" for k in p) for i in ai]
        women, men = ~labels[:, mi], labels[:, mi]
        young = [" / ".join(f"{100 * p[k][g, yi].float().mean().item():.1f}" for k in ("clean", "noisy")) for g in (women, men)]
        print(f"| `{name}` | " + " | ".join(cells) + f" | {young[0]} | {young[1]} |")
    truth = [f"{100 * labels[g, yi].float().mean().item():.1f}" for g in (~labels[:, mi], labels[:, mi])]
    print(f"\n(True share labelled Young: women {truth[0]}%, men {truth[1]}%.)")


if __name__ == "__main__":
    main()
