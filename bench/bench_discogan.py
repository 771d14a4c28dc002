"""DiscoGAN speed on this machine: training steps/s for each variant (GAN, GAN + reconstruction,
DiscoGAN) at the face and the bags ↔ shoes sizes, and inference latency (one 64×64 face, A→B and a
4-round-trip drift strip) as p50/p95 over repeated runs.

    python bench/bench_discogan.py [--threads 1] [--steps 8] [--repeats 50] [--json]

Training steps use random tensors of the committed checkpoints' shapes (data loading is not timed).
Latency uses the committed ``discogan-celeba-male`` checkpoint (or an untrained model of the same
config when it has not landed) on CelebA test faces.
"""
from __future__ import annotations

import json
import time

import torch

from common import parse, parser, pct, time_train_steps  # bench/common.py (the script's folder is on sys.path)

from xdomain import hub
from xdomain.data import domains, resolve_root
from xdomain.methods.discogan import DiscoGAN, DiscoGANConfig

PRESETS = {
    "faces": ("discogan-celeba-male", DiscoGANConfig(g_widths=(16, 32, 64, 128), d_widths=(16, 32, 64, 128))),
    "bags_shoes": ("discogan-fashion-bags-shoes",
                   DiscoGANConfig(dataset="fashion_bags_shoes", image_size=32, channels=1,
                                  g_widths=(32, 64, 128, 128), d_widths=(32, 64, 128, 128))),
}


def config(preset: str) -> DiscoGANConfig:
    """The committed checkpoint's config when present, else the preset's."""
    name, cfg = PRESETS[preset]
    try:
        return hub.load_model(name, allow_download=False).cfg
    except (hub.CheckpointError, KeyError):
        return cfg


def bench_steps(cfg: DiscoGANConfig, variant: str, steps: int) -> dict[str, float]:
    shape = (cfg.batch_size, cfg.channels, cfg.image_size, cfg.image_size)
    b = {s: torch.rand(shape) * 2 - 1 for s in "AB"}
    return {"batch": cfg.batch_size, **time_train_steps(DiscoGAN(cfg.replace(variant=variant)), b, steps)}


def bench_latency(repeats: int) -> dict[str, float | str]:
    try:
        m, which = hub.load_model("discogan-celeba-male"), "discogan-celeba-male"
    except (hub.CheckpointError, KeyError):
        m, which = DiscoGAN(PRESETS["faces"][1]).eval(), "untrained faces preset"
    x, cols = domains.celeba_split(resolve_root(), "test")
    faces = domains.to_tensor(x[cols["index"][:repeats]])  # [R, 3, 64, 64]
    out: dict[str, float | str] = {"model": which}
    for label, fn in (("translate", lambda t: m.translate(t, "a2b")),
                      ("drift_strip_4", lambda t: m.round_trips(t, "a2b", 4))):
        times = []
        for i in range(repeats):
            t0 = time.perf_counter()
            fn(faces[i:i + 1])
            times.append((time.perf_counter() - t0) * 1000)
        out[f"{label}_ms_p50"], out[f"{label}_ms_p95"] = pct(times, 50), pct(times, 95)
    return out


def main() -> None:
    a = parse(parser(__doc__, steps=8, repeats=50))
    res: dict[str, object] = {"threads": a.threads}
    for preset in PRESETS:
        cfg = config(preset)
        for variant in ("gan", "gan_recon", "discogan"):
            res[f"train_{preset}_{variant}"] = bench_steps(cfg, variant, a.steps)
    with torch.no_grad():
        res["latency"] = bench_latency(a.repeats)
    if a.json:
        print(json.dumps(res))
        return
    for k, v in res.items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
