"""Diagnostic for the UNIT digit runs (docs/unit.md): how fast does the VAE part alone reconstruct?

Trains a fresh UNIT ``digits`` model with the GAN, the classifier and feature matching switched off
(``w_gan=0``, ``classifier=False``, ``w_feat=0``) and prints the L1 reconstruction error of both
domains every 40 steps — for the preset's lr and for a higher one — so a slow generator is told apart
from an adversarial failure. Reads the training split only.

    python -m experiments.unit_vae_check --steps 200 --lr 1e-4 5e-4
"""
from __future__ import annotations

import argparse

import torch

from xdomain.data import resolve_root
from xdomain.methods.unit import UNIT
from xdomain.train import step_batch


def run(lr: float, steps: int, every: int = 40) -> list[tuple[int, float, float]]:
    cfg = UNIT.preset("digits")
    cfg.w_gan, cfg.classifier, cfg.w_feat, cfg.kl_reduce, cfg.lr = 0.0, False, 0.0, "element", lr
    torch.manual_seed(0)
    model = UNIT(cfg)
    model.configure_optimizers()
    data = UNIT.load_data(cfg, resolve_root(None), "train")
    model.train()
    out = []
    for step in range(steps):
        logs = model.train_step(step_batch(data, cfg.batch_size, 0, 0, step), step)
        if step % every == 0 or step == steps - 1:
            out.append((step, logs["vae_rec_A"], logs["vae_rec_B"]))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--lr", type=float, nargs="+", default=[1e-4, 5e-4])
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    for lr in a.lr:
        for step, ra, rb in run(lr, a.steps):
            print(f"lr {lr:g}  step {step:>4}  L1 USPS {ra:.3f}  MNIST {rb:.3f}")


if __name__ == "__main__":
    main()
