"""UNIT and CoGAN training speed on this machine: samples/s and achieved GFLOP/s per training step.

    python bench/bench_shared_latent.py [--threads 1] [--steps 10] [--json]

One training iteration (``Method.train_step``: the D-step(s) and G-step(s) of the config) on random
tensors of the digit presets' shapes (data loading is not timed), in both memory layouts: NCHW (the
default) and NHWC (the loop's ``channels_last=true``, same maths). FLOPs are counted by
``torch.utils.flop_counter.FlopCounterMode`` over one iteration (matrix multiplies and convolutions,
forward and backward; element-wise work is not counted), so GFLOP/s = counted FLOPs / median
iteration time. Samples/s counts domain-1 images per second (one batch of each domain per
iteration). Settings (the issues' comparison points):

* UNIT ``digits`` preset at batch 64, 32×32 (issue 14; a widely used PyTorch re-implementation
  reached 4.7 samples/s, 111 GFLOP/s, on 2 threads of this CPU with its own, larger network);
* CoGAN ``negative`` preset (28×28, the paper's digit geometry: its generator cannot emit 32×32) at
  batch 32 and 64 (issue 15; a widely used re-implementation reached 79 samples/s at batch 32,
  32×32, 2 threads, 94 GFLOP/s, its own network).
"""
from __future__ import annotations

import json

import torch
from torch.utils.flop_counter import FlopCounterMode

from common import parse, parser, time_train_steps  # bench/common.py (the script's folder is on sys.path)

from xdomain.methods.cogan import CoGAN
from xdomain.methods.unit import UNIT
from xdomain.train import batch_to


def batch_for(model, bs: int) -> dict[str, torch.Tensor]:
    c = model.cfg
    shape = (c.channels, c.image_size, c.image_size)
    b = {"A": torch.rand(bs, *shape) * 2 - 1, "B": torch.rand(bs, *shape) * 2 - 1}
    if getattr(c, "classifier", False):  # UNIT adaptation: labels of the source domain
        b[f"label_{c.source}"] = torch.randint(0, 10, (bs,))
    return b


def counted_flops(model, batch: dict) -> int:
    model.configure_optimizers()
    model.train()
    with FlopCounterMode(display=False) as fc:
        model.train_step(batch, 0)
    return fc.get_total_flops()


def bench(cls, preset: str, bs: int, steps: int, channels_last: bool = False) -> dict[str, float | str | int]:
    torch.manual_seed(0)
    model = cls(cls.preset(preset).replace(batch_size=bs))
    b = batch_for(model, bs)
    if channels_last:  # what the loop does with ``channels_last=true``: NHWC weights and batches
        model.to(memory_format=torch.channels_last)
        b = batch_to(b, "cpu", channels_last=True)
    flops = counted_flops(model, b)
    t = time_train_steps(model, b, steps)
    return {"method": cls.name, "preset": preset, "batch": bs, "image": model.cfg.image_size,
            "layout": "NHWC" if channels_last else "NCHW",
            "samples_per_s": round(bs * t["steps_per_s"], 1), "step_s_median": round(t["step_s_median"], 4),
            "gflop_per_step": round(flops / 1e9, 2), "gflop_per_s": round(flops / 1e9 * t["steps_per_s"], 1)}


def main() -> None:
    p = parser(__doc__, steps=10)
    a = parse(p)
    rows = [bench(UNIT, "digits", 64, a.steps, cl) for cl in (False, True)]
    rows += [bench(CoGAN, "negative", bs, a.steps, cl) for bs in (32, 64) for cl in (False, True)]
    for r in rows:
        r["threads"] = a.threads
    if a.json:
        print(json.dumps(rows, indent=1))
    else:
        for r in rows:
            print("  ".join(f"{k}={v}" for k, v in r.items()))


if __name__ == "__main__":
    main()
