"""The toy mode-collapse lab: the three variants of DiscoGAN §3.1 trained side by side, frame by frame.

:func:`iter_lab` builds one :class:`~xdomain.methods.toy2d.Toy2D` per variant, seeded exactly as
:func:`xdomain.train.train` seeds a single run, and steps them on the *same* batches (drawn from
``xdomain.train.step_batch(..., seed, 0, step)`` as the loop draws them) through their own ``train_step`` —
the method's d_step/g_step; nothing is re-implemented here. So the lab's run of a variant equals
``python -m xdomain train toy2d --set variant=<v> --set seed=<s>`` with the same config, and
the three variants start from the same G_AB and D_B weights.

Every ``frame_every`` iterations it records a :class:`LabRun` frame: the translated held-out A
points (a plotting subset), D_B's output on a grid over the B plane (Figure 4's background), and
the metrics of :mod:`xdomain.metrics.toy2d` on the full held-out set. Runs save to small
compressed ``.npz`` files (D_B as uint8, points as float16) for the app's precomputed results.
"""
from __future__ import annotations

import contextlib
import time
from typing import Iterator, Sequence

import numpy as np
import torch

from xdomain.methods.toy2d import Toy2D, Toy2DConfig, eval_set, mode_centers
from xdomain.metrics.toy2d import toy_metrics
from xdomain.train import seed_everything, step_batch
from xdomain.toylab_runs import METRICS, RUNS_DIR, LabRun, load_runs, summarize  # noqa: F401 - re-exported
from xdomain.variants import VARIANTS



def plane_extent(cfg: Toy2DConfig) -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax) covering the B modes and the origin (where G starts), padded."""
    c = torch.cat([mode_centers(cfg, "B"), torch.zeros(1, 2)]).numpy()
    lo, hi = c.min(0), c.max(0)
    pad = 0.12 * float((hi - lo).max()) + 6 * cfg.sigma_b
    return float(lo[0] - pad), float(hi[0] + pad), float(lo[1] - pad), float(hi[1] + pad)


def plane_grid(extent: tuple[float, float, float, float], n: int) -> torch.Tensor:
    """[n*n, 2] grid points, row-major with y increasing down the rows (imshow origin="lower")."""
    xs = torch.linspace(extent[0], extent[1], n)
    ys = torch.linspace(extent[2], extent[3], n)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")  # [n, n] each
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)


def build_models(cfg: Toy2DConfig, variants: Sequence[str]) -> dict[str, Toy2D]:
    """One model per variant, each seeded as ``xdomain.train.train`` seeds a run."""
    models = {}
    for v in variants:
        seed_everything(cfg.seed)
        m = Toy2D(cfg.replace(variant=v))
        m.configure_optimizers()
        models[v] = m.train()
    return models


@torch.no_grad()
def _capture(run: LabRun, models: dict[str, Toy2D], step: int, x_eval: torch.Tensor, y_eval: torch.Tensor,
             grid: torch.Tensor, n_grid: int, n_plot: int) -> None:
    cfg = run.cfg
    centers_b = mode_centers(cfg, "B")
    pts, flds = [], []
    row: dict[str, list[float]] = {name: [] for name in METRICS}
    for m in models.values():
        x_ab = m.G_AB(x_eval)  # [N, 2]
        x_aba = m.G_BA(x_ab) if "G_BA" in m.spec.nets else None
        met = toy_metrics(x_ab, y_eval, cfg.n_modes_a, centers_b, cfg.sigma_b, x_a=x_eval, x_aba=x_aba,
                          min_frac=cfg.mode_min_frac, majority=cfg.collision_majority)
        for name in METRICS:
            row[name].append(met.get(name, float("nan")))
        pts.append(x_ab[:n_plot].numpy())
        d = torch.sigmoid(m.D_B(grid)).reshape(n_grid, n_grid)  # [G, G] probability "real"
        flds.append((d * 255).round().to(torch.uint8).numpy())
    for name in METRICS:
        run.metrics.setdefault(name, []).append(row[name])
    run.iters.append(step)
    run.points.append(np.stack(pts).astype(np.float16))
    run.fields.append(np.stack(flds))


@contextlib.contextmanager
def torch_threads(n: int):
    """Run the enclosed torch ops on ``n`` intra-op threads (0 = unchanged), then restore the count."""
    prev = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(prev)


def iter_lab(cfg: Toy2DConfig, variants: Sequence[str] = tuple(VARIANTS), *, frame_every: int = 100,
             n_plot: int = 250, n_grid: int = 48) -> Iterator[tuple[LabRun, dict[str, Toy2D]]]:
    """Train ``variants`` together for ``cfg.steps`` iterations; yield after every captured frame.

    Grad mode and the thread count (``cfg.threads``; one thread is fastest for these tiny MLPs and
    immune to the multi-second stalls two threads show on a busy machine) are set per chunk, never
    held across a ``yield``: a streaming app may resume the generator on another thread, and may
    itself run under inference mode.
    """
    with torch_threads(cfg.threads), torch.inference_mode(False), torch.enable_grad():
        models = build_models(cfg, variants)
    data = Toy2D.load_data(cfg, None, "train")
    x_eval, y_eval = eval_set(cfg, cfg.eval_limit)  # [N, 2], [N]
    extent = plane_extent(cfg)
    grid = plane_grid(extent, n_grid)  # [G*G, 2]
    run = LabRun(config=cfg.to_dict(), variants=tuple(variants), extent=extent, labels=y_eval[:n_plot].numpy())
    t0 = time.perf_counter()
    with torch_threads(cfg.threads):
        _capture(run, models, 0, x_eval, y_eval, grid, n_grid, n_plot)
    yield run, models
    for start in range(0, cfg.steps, frame_every):
        stop = min(start + frame_every, cfg.steps)
        with torch_threads(cfg.threads), torch.inference_mode(False), torch.enable_grad():
            for step in range(start, stop):
                # same draws as xdomain.train.train (tests/test_toy2d.py checks the weights match)
                batch = step_batch(data, cfg.batch_size, cfg.seed, 0, step)
                for m in models.values():
                    m.train_step(batch, step)
            run.wall_s = time.perf_counter() - t0
            _capture(run, models, stop, x_eval, y_eval, grid, n_grid, n_plot)
        yield run, models


def run_lab(cfg: Toy2DConfig, variants: Sequence[str] = tuple(VARIANTS), **kw) -> tuple[LabRun, dict[str, Toy2D]]:
    """Run :func:`iter_lab` to the end."""
    out = None
    for out in iter_lab(cfg, variants, **kw):
        pass
    return out
