"""Benchmark the toy mode-collapse lab (DiscoGAN §3.1): iterations/s per variant, and the wall time
of the paper preset with all three variants trained together (as the app's Train button does).

    python bench/bench_toy2d.py [--reps 15] [--chunk 50] [--no-ui] [--json out.json]

Iterations/s: median over ``reps`` chunks of ``chunk`` iterations (one D-step + one G-step each)
on one thread, after a warm-up, with the paper preset's batch and widths. Medians, because two
shared cores show multi-second stalls. The preset is timed twice: the lab alone
(:func:`xdomain.toylab.run_lab`: training + 40 frame captures) and the tab's handler
(``ui.tabs.toy2d.train_lab``: the same plus streamed pictures, the final figure and the GIF).
Wall and process CPU time are both printed, with the load average, since the machine is shared.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

# the repo root, for ui/ (xdomain itself comes from the installed package; see pyproject.toml)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from xdomain.methods.toy2d import Toy2D, Toy2DConfig  # noqa: E402
from xdomain.toylab import build_models, run_lab, torch_threads  # noqa: E402
from xdomain.train import batch_generator  # noqa: E402
from xdomain.variants import VARIANTS  # noqa: E402


def iterations_per_second(cfg: Toy2DConfig, reps: int, chunk: int) -> dict[str, float]:
    data = Toy2D.load_data(cfg, None, "train")
    out = {}
    with torch_threads(cfg.threads):
        for v, model in build_models(cfg, tuple(VARIANTS)).items():
            batches = [data.sample(cfg.batch_size, batch_generator(cfg.seed, 0, s)) for s in range(chunk)]
            for s, b in enumerate(batches[:10]):  # warm-up
                model.train_step(b, s)
            times = []
            for _ in range(reps):
                t = time.perf_counter()
                for s, b in enumerate(batches):
                    model.train_step(b, s)
                times.append(time.perf_counter() - t)
            out[v] = chunk / statistics.median(times)
    return out


def timed(fn) -> tuple[float, float]:
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--chunk", type=int, default=50)
    p.add_argument("--no-ui", action="store_true", help="skip timing the app handler (no gradio import)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    a = p.parse_args(argv)
    cfg = Toy2DConfig()
    res: dict = {"preset": {"steps": cfg.steps, "batch_size": cfg.batch_size, "lr": cfg.lr,
                            "g_hidden": cfg.g_hidden, "d_hidden": cfg.d_hidden, "threads": cfg.threads},
                 "torch": torch.__version__, "cpus": os.cpu_count(), "loadavg_before": os.getloadavg()[0]}
    ips = iterations_per_second(cfg, a.reps, a.chunk)
    res["iterations_per_s"] = {v: round(x, 1) for v, x in ips.items()}
    for v, x in ips.items():
        print(f"{v:10s} {x:7.1f} it/s   ({1000 / x:.2f} ms per D-step + G-step)")
    together = 1 / sum(1 / x for x in ips.values())
    print(f"all three  {together:7.1f} it/s   → {cfg.steps} iterations ≈ {cfg.steps / together:.1f} s of pure training")
    res["all_three_iterations_per_s"] = round(together, 1)

    timed(lambda: run_lab(cfg.replace(steps=2), frame_every=1))  # imports (torch._dynamo via torch.optim) happen once
    wall, cpu = timed(lambda: run_lab(cfg, frame_every=max(1, cfg.steps // 40)))
    res["preset_lab_s"] = {"wall": round(wall, 1), "cpu": round(cpu, 1)}
    print(f"paper preset, lab only (training + 40 frames): wall {wall:.1f} s, CPU {cpu:.1f} s")
    if not a.no_ui:
        os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
        from ui.tabs import toy2d as tab

        def click() -> None:
            for _ in tab.train_lab(cfg.seed, cfg.steps, cfg.lr, cfg.batch_size, cfg.n_modes_a, cfg.n_modes_b):
                pass

        wall, cpu = timed(click)
        res["preset_tab_s"] = {"wall": round(wall, 1), "cpu": round(cpu, 1)}
        print(f"paper preset, the tab's Train handler (+ streamed pictures, final figure, GIF): "
              f"wall {wall:.1f} s, CPU {cpu:.1f} s")
    res["loadavg_after"] = os.getloadavg()[0]
    print(f"load average (1 min) before/after: {res['loadavg_before']:.1f} / {res['loadavg_after']:.1f} on {os.cpu_count()} CPUs")
    if a.json:
        a.json.write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
