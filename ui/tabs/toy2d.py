"""Toy 2-D mode-collapse lab (DiscoGAN §3.1, Figure 4): GAN vs GAN+reconstruction vs DiscoGAN.

"Train" trains the three variants together on CPU (:func:`xdomain.toylab.iter_lab`) and streams
the B planes and the mode counters while it runs; afterwards the frame slider scrubs the saved
frames and a GIF of the run can be downloaded. When the tab opens it shows the committed
paper-preset runs (5 seeds, ``checkpoints/toy2d-runs``) with mean ± std per variant.

Handlers are plain functions (decorated with :func:`ui.common.friendly`), so tests call them
without a server: :func:`train_lab`, :func:`scrub`, :func:`show_seed`, :func:`make_gif`,
:func:`paper_preset`.
"""
from __future__ import annotations

import json
import tempfile
import threading
import time
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import gradio as gr
import numpy as np

from ui import common
from ui.common import friendly, on_page_load
from ui.lazy import lazy
from xdomain import toylab_runs
from xdomain.methods.toy2d_config import Toy2DConfig

plots = lazy("xdomain.plots")
toylab = lazy("xdomain.toylab")
variants = lazy("xdomain.variants")

PRESET = Toy2DConfig()  # the "paper preset" = Toy2D's defaults
FRAMES = 40  # saved frames per run (the slider's range); plotting is rate-limited separately
GIF_FRAMES = 21  # "Make GIF" renders at most this many frames (~0.1–0.4 s each)
MIN_RENDER_INTERVAL_S = 1.0  # stream a picture at most this often (and ≤ 1/3 of the time)
LIMITS = {"iterations": (10, 20000), "learning rate": (1e-5, 0.05), "batch size": (8, 2048), "A modes": (2, 10),
          "B modes": (2, 20)}
TABLE_HEADERS = ["variant", "B modes covered", "A-mode collisions", "high-quality fraction", "A→B→A error"]

_fig_lock = threading.Lock()
_figs: OrderedDict[tuple, plots.ToyFigure] = OrderedDict()


# ----------------------------------------------------------------------------- helpers
def lab_config(seed, iterations, lr, batch_size, n_modes_a=PRESET.n_modes_a, n_modes_b=PRESET.n_modes_b) -> Toy2DConfig:
    """Validated config for a lab run (ValueError with a plain message otherwise)."""
    vals = {"iterations": iterations, "learning rate": lr, "batch size": batch_size, "A modes": n_modes_a,
            "B modes": n_modes_b}
    for k, v in vals.items():
        lo, hi = LIMITS[k]
        if v is None or not np.isfinite(float(v)) or not lo <= float(v) <= hi:
            raise ValueError(f"{k} must be between {lo:g} and {hi:g} (got {v})")
    if seed is None or int(seed) < 0:
        raise ValueError("seed must be a non-negative integer")
    return PRESET.replace(seed=int(seed), steps=int(iterations), lr=float(lr), batch_size=int(batch_size),
                          n_modes_a=int(n_modes_a), n_modes_b=int(n_modes_b))


def metrics_table(run: toylab_runs.LabRun, frame: int = -1) -> list[list]:
    """One row per variant: the mode counters at ``frame``."""
    n_b = run.cfg.n_modes_b
    rows = []
    for i, v in enumerate(run.variants):
        m = {k: run.metrics[k][frame][i] for k in run.metrics}
        err = m.get("recon_error_A", float("nan"))
        rows.append([toylab_runs.VARIANT_TITLES.get(v, v), f"{m['modes_covered']:.0f} / {n_b}", f"{m['collisions']:.0f}",
                     f"{m['high_quality']:.3f}", "—" if np.isnan(err) else f"{err:.3f}"])
    return rows


def summary_table(runs: list[toylab_runs.LabRun]) -> list[list]:
    """Mean ± std of the final frames over runs, one row per variant."""
    summ = toylab_runs.summarize(runs)
    n_b = runs[0].cfg.n_modes_b

    def cell(v: str, m: str, fmt: str) -> str:
        s = summ[v].get(m)
        return "—" if s is None else f"{s['mean']:{fmt}} ± {s['std']:{fmt}}"

    return [[toylab_runs.VARIANT_TITLES.get(v, v), cell(v, "modes_covered", ".1f") + f" / {n_b}", cell(v, "collisions", ".1f"),
             cell(v, "high_quality", ".3f"), cell(v, "recon_error_A", ".3f")] for v in summ]


def _figure_for(run: toylab_runs.LabRun) -> plots.ToyFigure:
    """A cached full figure (planes + curves) for runs of this config; call under ``_fig_lock``."""
    key = (json.dumps(run.config, sort_keys=True), run.variants, len(run.labels))
    if key not in _figs:
        _figs[key] = plots.ToyFigure(run)
        while len(_figs) > 4:
            _figs.popitem(last=False)
    _figs.move_to_end(key)
    return _figs[key]


def render(run: toylab_runs.LabRun, frame: int = -1) -> np.ndarray:
    with _fig_lock:
        return _figure_for(run).render(run, frame)


@lru_cache(maxsize=1)
def precomputed() -> tuple[toylab_runs.LabRun, ...]:
    """The committed paper-preset runs (one per seed); empty if they are missing."""
    return tuple(toylab_runs.load_runs(toylab_runs.RUNS_DIR))


def _status(run: toylab_runs.LabRun, head: str, extra: str = "") -> str:
    """One status line; ``head`` is "Training…", "Done" or "Precomputed"."""
    cfg = run.cfg
    it = run.iters[-1]
    pct = 100 * it / max(cfg.steps, 1)
    head = f"**{head}**"
    return (f"{head} iteration {it} / {cfg.steps} ({pct:.0f} %) · {run.wall_s:.1f} s · seed {cfg.seed} · "
            f"{', '.join(toylab_runs.VARIANT_TITLES[v] for v in run.variants)}{extra}")


# ----------------------------------------------------------------------------- handlers
@friendly
def train_lab(seed, iterations, lr, batch_size, n_modes_a=PRESET.n_modes_a, n_modes_b=PRESET.n_modes_b):
    """Train all three variants together; stream (figure, table, status, frame slider, GIF, run)."""
    cfg = lab_config(seed, iterations, lr, batch_size, n_modes_a, n_modes_b)
    frame_every = max(1, cfg.steps // FRAMES)
    live: plots.ToyFigure | None = None  # planes only while training: the curves are drawn at the end
    gif_frames: list[np.ndarray] = []
    last_render, render_cost = -1e9, 0.0
    run = None
    for run, _ in toylab.iter_lab(cfg, tuple(variants.VARIANTS), frame_every=frame_every):
        now = time.perf_counter()
        final = run.iters[-1] == cfg.steps
        if not final and now - last_render < max(MIN_RENDER_INTERVAL_S, 2 * render_cost):
            continue
        if live is None:
            live = plots.ToyFigure(run, curves=False)
        img = live.render(run)
        gif_frames.append(img)
        last_render, render_cost = time.perf_counter(), time.perf_counter() - now
        if not final:
            yield img, metrics_table(run), _status(run, "Training…"), gr.skip(), gr.skip(), gr.skip()
    gif = plots.save_gif(gif_frames, Path(tempfile.mkdtemp(prefix="toy2d-")) / f"toy2d_seed{cfg.seed}.gif")
    n = run.n_frames
    yield (render(run), metrics_table(run), _status(run, "Done", f" · {len(gif_frames)} frames streamed"),
           gr.Slider(minimum=0, maximum=n - 1, value=n - 1, step=1, interactive=True), str(gif), run)


@friendly
def scrub(run: toylab_runs.LabRun | None, frame) -> tuple[np.ndarray, list[list]]:
    """Show saved frame ``frame`` of the current run."""
    if run is None:
        raise ValueError("No run to scrub yet: press Train, or pick one of the precomputed seeds.")
    f = int(np.clip(int(frame), 0, run.n_frames - 1))
    return render(run, f), metrics_table(run, f)


@friendly
@lru_cache(maxsize=1)
def _seed_curves() -> np.ndarray:
    return plots.figure_to_array(plots.seed_curves(list(precomputed())))


@friendly
def seed_curves_image() -> np.ndarray:
    """The committed runs' curves over seeds (rendered once, then cached)."""
    return _seed_curves()


def show_seed(seed) -> tuple:
    """Load the committed paper-preset run of ``seed`` (figure, table, status, slider, run)."""
    runs = {r.cfg.seed: r for r in precomputed()}
    if not runs:
        raise FileNotFoundError(f"no precomputed runs in {toylab_runs.RUNS_DIR}; run python -m experiments.make_toy2d_runs")
    if int(seed) not in runs:
        raise ValueError(f"no precomputed run for seed {seed}; available: {', '.join(map(str, sorted(runs)))}")
    run = runs[int(seed)]
    n = run.n_frames
    return (render(run), metrics_table(run), _status(run, "Precomputed", " · paper preset"),
            gr.Slider(minimum=0, maximum=n - 1, value=n - 1, step=1, interactive=True), run)


@friendly
def make_gif(run: toylab_runs.LabRun | None) -> str:
    """A GIF of the current run (planes only; at most ``GIF_FRAMES`` evenly spaced saved frames)."""
    if run is None:
        raise ValueError("No run yet: press Train, or pick one of the precomputed seeds.")
    fig = plots.ToyFigure(run, curves=False)
    picks = sorted({int(round(i)) for i in np.linspace(0, run.n_frames - 1, min(GIF_FRAMES, run.n_frames))})
    frames = [fig.render(run, i) for i in picks]
    return str(plots.save_gif(frames, Path(tempfile.mkdtemp(prefix="toy2d-")) / f"toy2d_seed{run.cfg.seed}.gif"))


@friendly
def paper_preset() -> tuple:
    """Reset the controls to the paper preset."""
    return PRESET.seed, PRESET.steps, PRESET.lr, PRESET.batch_size, PRESET.n_modes_a, PRESET.n_modes_b


# ----------------------------------------------------------------------------- layout
def _warm_up() -> None:
    """Import what the first Train click would otherwise wait for (torch._dynamo, via torch.optim)."""
    import torch

    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def build() -> None:
    common.after_start("toy2d-imports", _warm_up)
    runs = list(precomputed())
    gr.Markdown(
        "Domain **A** is a mixture of 5 Gaussians, domain **B** has 10 modes on an arc (black ×). Each panel "
        "shows A samples translated into the B plane, coloured by their A mode, over the output of D_B "
        "(background + contours). A **standard GAN** (G_AB, D_B), a **GAN with reconstruction** (+ G_BA, "
        "L_CONST_A) and **DiscoGAN** (both directions, two GAN and two reconstruction losses) start from the "
        "same weights and see the same batches. *Mode counters*: a B mode is covered when ≥ "
        f"{PRESET.mode_min_frac:.0%} of the samples lie within 3σ of it; a collision is a pair of A modes "
        "whose samples mostly land on the same B mode.")
    with gr.Row():
        seed = gr.Number(PRESET.seed, precision=0, label="Seed", minimum=0, elem_id="toy2d-seed")
        iters = gr.Number(PRESET.steps, precision=0, label="Iterations", minimum=LIMITS["iterations"][0],
                          maximum=LIMITS["iterations"][1], elem_id="toy2d-iters")
        lr = gr.Number(PRESET.lr, label="Learning rate", elem_id="toy2d-lr")
        batch = gr.Number(PRESET.batch_size, precision=0, label="Batch size", elem_id="toy2d-batch")
        n_a = gr.Slider(*LIMITS["A modes"], value=PRESET.n_modes_a, step=1, label="A modes", elem_id="toy2d-modes-a")
        n_b = gr.Slider(*LIMITS["B modes"], value=PRESET.n_modes_b, step=1, label="B modes", elem_id="toy2d-modes-b")
    with gr.Row():
        preset_btn = gr.Button("Paper preset", elem_id="toy2d-preset")
        train_btn = gr.Button("Train", variant="primary", elem_id="toy2d-train")
    status = gr.Markdown(_status(runs[0], "Precomputed", " · paper preset") if runs else
                         "No precomputed runs found (`python -m experiments.make_toy2d_runs` makes them); press **Train**.",
                         elem_id="toy2d-status")
    figure = gr.Image(None, format="png", label="Figure 4: B plane per variant",  # drawn when a page opens
                      interactive=False, elem_id="toy2d-figure")
    table = gr.Dataframe(metrics_table(runs[0]) if runs else None, headers=TABLE_HEADERS, label="Mode counters",
                         interactive=False, elem_id="toy2d-metrics")
    n0 = runs[0].n_frames if runs else 1
    frame = gr.Slider(0, max(n0 - 1, 1), value=n0 - 1, step=1, label="Frame (scrub the saved frames)",
                      elem_id="toy2d-frame")
    with gr.Row():
        gif_btn = gr.Button("Make GIF of this run", elem_id="toy2d-gif-btn")
        gif = gr.File(label="GIF", elem_id="toy2d-gif")
    state = gr.State(runs[0] if runs else None)

    with gr.Accordion(f"Precomputed paper preset: {len(runs)} seeds", open=True):
        if runs:
            seeds = [r.cfg.seed for r in runs]
            gr.Markdown(f"{PRESET.steps} iterations, lr {PRESET.lr:g}, batch {PRESET.batch_size}; final frame, "
                        "mean ± std over seeds (computed from the committed runs).")
            gr.Dataframe(summary_table(runs), headers=TABLE_HEADERS, interactive=False, elem_id="toy2d-summary")
            curves = gr.Image(None, format="png", label="Curves over seeds", interactive=False, elem_id="toy2d-curves")
            pick = gr.Dropdown(seeds, value=seeds[0], label="Show seed", elem_id="toy2d-seed-select")
            pick.change(show_seed, pick, [figure, table, status, frame, state], api_name="toy2d_show_seed")
            # matplotlib renders take seconds: drawn when a visitor's page opens, not while the app starts
            on_page_load(show_seed, pick, [figure, table, status, frame, state])
            on_page_load(seed_curves_image, None, curves)
        else:
            gr.Markdown("Not available: `checkpoints/toy2d-runs/` is missing.")

    controls = [seed, iters, lr, batch, n_a, n_b]
    preset_btn.click(paper_preset, None, controls, api_name="toy2d_preset")
    train_btn.click(train_lab, controls, [figure, table, status, frame, gif, state], api_name="toy2d_train",
                    concurrency_limit=1, concurrency_id="toy2d-train")
    # .input fires on user moves only (drag or keys), not when a handler resets the slider
    frame.input(scrub, [state, frame], [figure, table], api_name="toy2d_scrub", show_progress="minimal",
                trigger_mode="always_last")
    gif_btn.click(make_gif, state, gif, api_name="toy2d_gif")
