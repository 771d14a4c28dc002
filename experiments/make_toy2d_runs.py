"""Regenerate the toy lab's committed artifacts (DiscoGAN §3.1, Figure 4) from the paper preset.

    python -m experiments.make_toy2d_runs [--seeds 0 1 2 3 4] [--threads 1]
    python -m experiments.make_toy2d_runs --steps 15000 --out runs/toy2d-long   # beyond the app's budget

For each seed, the three variants train together (:func:`xdomain.toylab.run_lab`, the same code
path as the app's Train button) and the run's frames + metrics go to
``checkpoints/toy2d-runs/seed<k>.npz``; ``summary.json`` holds the per-variant mean ± std over the
seeds, computed from those files. The seed-0 models are saved as checkpoint folders
``checkpoints/toy2d-{gan,gan_recon,discogan}`` (config.json + model.safetensors + model card),
identical to ``python -m xdomain train toy2d --set variant=<v> --set seed=0``.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from xdomain import hub
from xdomain.methods.toy2d import Toy2DConfig
from xdomain.registry import CHECKPOINT_DIR
from xdomain.toylab import RUNS_DIR, load_runs, run_lab, summarize
from xdomain.train import default_card

FRAMES = 40  # as the app's live run


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=RUNS_DIR)
    p.add_argument("--no-checkpoints", action="store_true", help="skip writing checkpoints/toy2d-<variant>")
    p.add_argument("--steps", type=int, default=None,
                   help="override the preset's iterations (e.g. a longer run; then no checkpoints are written)")
    a = p.parse_args(argv)
    if a.steps is not None and a.out == RUNS_DIR:
        p.error("--steps changes the preset: give --out so the committed paper-preset runs are not overwritten")
    torch.set_num_threads(a.threads)
    a.out.mkdir(parents=True, exist_ok=True)
    for seed in a.seeds:
        cfg = Toy2DConfig(seed=seed) if a.steps is None else Toy2DConfig(seed=seed, steps=a.steps)
        t0 = time.perf_counter()
        run, models = run_lab(cfg, frame_every=max(1, cfg.steps // FRAMES))
        path = run.save(a.out / f"seed{seed}.npz")
        print(f"seed {seed}: {time.perf_counter() - t0:.1f} s -> {path} ({path.stat().st_size / 1024:.0f} KiB)")
        for v, m in run.final().items():
            print(f"  {v:10s} " + "  ".join(f"{k}={x:.3f}" for k, x in m.items()))
        if seed == 0 and not a.no_checkpoints and a.steps is None:
            for v, model in models.items():
                model.eval()
                metrics = model.evaluate(None, limit=cfg.eval_limit)
                training = {"steps": cfg.steps, "wall_time_s": round(run.wall_s, 1), "device": "cpu", "world_size": 1,
                            "torch": torch.__version__, "note": "trained by python -m experiments.make_toy2d_runs "
                            "(all three variants side by side; wall time is for the three together)"}
                folder = hub.save_checkpoint(CHECKPOINT_DIR / f"toy2d-{v}", model, metrics=metrics, training=training,
                                             card=default_card(model, metrics, training))
                print(f"  saved {folder}")
    runs = load_runs(a.out)
    preset = {k: v for k, v in runs[0].config.items() if k not in ("seed", "variant")}
    summary = {"config": preset, "seeds": [r.cfg.seed for r in runs],
               "wall_s": [round(r.wall_s, 2) for r in runs], "final": summarize(runs)}
    (a.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary["final"], indent=1))


if __name__ == "__main__":
    main()
