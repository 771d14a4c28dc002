"""Matplotlib figure helpers (headless, Agg); the UI and notebooks show what these return.

* :class:`ToyFigure` / :func:`toy_figure` — DiscoGAN Figure 4 reborn (Kim et al. 2017, §3.1): for
  each variant the B plane with D_B's output as coloured background and contour lines, B modes as
  black ×, the translated A samples coloured by their A mode; panel (a) is the initial state; the
  metric curves of the run sit under the planes. ``ToyFigure`` redraws in place (live frames).
* :func:`seed_curves` — metric curves over iterations, mean ± std over several runs.
* :func:`figure_to_array` / :func:`save_gif` — rasterise for Gradio and animate frames.

Figures are built with the object-oriented API (``Figure`` + Agg canvas), never pyplot: no global
figure registry, so app threads can draw concurrently and importing this never switches backends.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from xdomain.methods.toy2d import mode_centers
from xdomain.toylab_runs import VARIANT_TITLES  # noqa: F401 - re-exported

METRIC_TITLES = {"modes_covered": "B modes covered", "collisions": "A-mode collisions",
                 "high_quality": "high-quality fraction", "recon_error_A": "A→B→A error"}
VARIANT_COLORS = {"gan": "tab:red", "gan_recon": "tab:orange", "discogan": "tab:blue"}
FIELD_CMAP = "viridis"


def _fixed_ylim(ax, cfg, name: str) -> None:
    """Counts and fractions get their full range (so a flat zero curve reads as zero)."""
    top = {"modes_covered": cfg.n_modes_b, "collisions": cfg.n_modes_a * (cfg.n_modes_a - 1) / 2,
           "high_quality": 1.0}.get(name)
    if top is not None:
        ax.set_ylim(-0.04 * top, 1.06 * top)


class ToyFigure:
    """Figure 4 for one :class:`xdomain.toylab.LabRun`, built once and redrawn per frame.

    Top row: (a) the initial state, then one B plane per variant; bottom row: the metric curves up
    to the shown frame. Artists are updated in place, so a frame costs one canvas draw (this is
    what keeps the live tab's plotting cheap next to training).
    """

    def __init__(self, run, *, curves: bool = True, width: float = 12.0, dpi: int = 80):
        cfg = run.cfg
        self.run, self.centers_b = run, mode_centers(cfg, "B").numpy()
        n_v = len(run.variants)
        self.metrics = [m for m in METRIC_TITLES if m in run.metrics]
        rows = 2 if curves else 1
        self.fig = new_figure(width, width / (n_v + 1) * (1.6 if curves else 1.12), dpi)
        gs = self.fig.add_gridspec(rows, max(n_v + 1, len(self.metrics)), height_ratios=(1.0, 0.55)[:rows],
                                   left=0.03, right=0.99, top=0.86 if curves else 0.8, bottom=0.08 if curves else 0.02,
                                   wspace=0.22, hspace=0.35)
        self.planes = [self._plane(self.fig.add_subplot(gs[0, i])) for i in range(n_v + 1)]
        self.titles = ["(a) initial state"] + [f"({chr(98 + i)}) {VARIANT_TITLES.get(v, v)}" for i, v in enumerate(run.variants)]
        self.lines: dict[str, list] = {}
        self.vlines = []
        if curves:
            for j, name in enumerate(self.metrics):
                ax = self.fig.add_subplot(gs[1, j])
                self.lines[name] = [ax.plot([], [], color=VARIANT_COLORS.get(v), label=VARIANT_TITLES.get(v, v), lw=1.2)[0]
                                    for v in run.variants]
                self.vlines.append(ax.axvline(0, color="grey", lw=0.8, ls="--"))
                ax.set_xlim(0, max(cfg.steps, 1))
                _fixed_ylim(ax, cfg, name)
                ax.set_title(METRIC_TITLES[name], fontsize=9)
                ax.tick_params(labelsize=7)
                from matplotlib.ticker import MaxNLocator  # matplotlib loads on first draw, not on import

                ax.xaxis.set_major_locator(MaxNLocator(3))  # few tick labels: text dominates draw time
                ax.yaxis.set_major_locator(MaxNLocator(3))
                if j == 0:
                    ax.legend(fontsize=7, loc="upper left")
        self.suptitle = self.fig.suptitle("", fontsize=9)
        self._initial_of = None

    def _plane(self, ax) -> dict:
        run = self.run
        ext = run.extent
        im = ax.imshow(np.zeros_like(run.fields[0][0], dtype=np.float32), origin="lower", extent=ext, cmap=FIELD_CMAP,
                       vmin=0, vmax=1, aspect="auto", interpolation="bilinear")
        pts = ax.scatter(np.zeros(len(run.labels)), np.zeros(len(run.labels)), c=run.labels, cmap="tab10", vmin=0, vmax=9,
                         s=9, edgecolors="black", linewidths=0.3, zorder=3)
        ax.scatter(self.centers_b[:, 0], self.centers_b[:, 1], marker="x", c="black", s=40, linewidths=1.5, zorder=4)
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
        ax.set_xticks([])
        ax.set_yticks([])
        return {"ax": ax, "im": im, "pts": pts, "contour": None}

    def _draw_plane(self, p: dict, points: np.ndarray, field_u8: np.ndarray, title: str) -> None:
        """D_B background [G, G] (uint8 → [0, 1]) with contours; translated points [N, 2]."""
        field = field_u8 / 255.0
        p["im"].set_data(field)
        p["pts"].set_offsets(points.astype(np.float32))
        if p["contour"] is not None:
            p["contour"].remove()
        ext = self.run.extent
        xs, ys = np.linspace(ext[0], ext[1], field.shape[1]), np.linspace(ext[2], ext[3], field.shape[0])
        p["contour"] = p["ax"].contour(xs, ys, field, levels=(0.1, 0.3, 0.5, 0.7, 0.9), colors="white",
                                       linewidths=0.5, alpha=0.6)
        p["ax"].set_title(title, fontsize=9)

    def update(self, run=None, frame: int = -1):
        """Show ``frame`` of ``run`` (default: the run given at construction; it may have grown)."""
        run = self.run = run or self.run
        cfg = run.cfg
        frame = frame % run.n_frames
        if self.planes[0]["contour"] is None or self._initial_of is not run:  # frame 0 never changes within a run
            self._draw_plane(self.planes[0], run.points[0][0], run.fields[0][0], self.titles[0])
            self._initial_of = run
        for i in range(len(run.variants)):
            m = {k: run.metrics[k][frame][i] for k in run.metrics}
            info = f"{m['modes_covered']:.0f}/{cfg.n_modes_b} modes, {m['collisions']:.0f} collisions"
            self._draw_plane(self.planes[i + 1], run.points[frame][i], run.fields[frame][i], f"{self.titles[i + 1]}\n{info}")
        for name, lines in self.lines.items():
            vals = run.metric(name)[:, : frame + 1]  # [V, F']
            for line, row in zip(lines, vals):
                line.set_data(run.iters[: frame + 1], row)
            if name == "recon_error_A" and np.isfinite(run.metric(name)).any():
                ax = lines[0].axes
                ax.set_ylim(0, 1.08 * float(np.nanmax(run.metric(name))) + 1e-6)
        for vl in self.vlines:
            vl.set_xdata([run.iters[frame]] * 2)
        self.suptitle.set_text(f"iteration {run.iters[frame]} / {cfg.steps}  ·  seed {cfg.seed}  ·  lr {cfg.lr:g}  ·  "
                               f"batch {cfg.batch_size}  ·  {len(run.labels)} held-out A points shown")
        return self.fig

    def render(self, run=None, frame: int = -1) -> np.ndarray:
        """:meth:`update` then rasterise → HWC uint8."""
        self.update(run, frame)
        return figure_to_array(self.fig)



def toy_figure(run, frame: int = -1, **kw):
    """A standalone Figure 4 (matplotlib ``Figure``) for one frame of a run."""
    return ToyFigure(run, **kw).update(frame=frame)


def seed_curves(runs: Sequence, *, width: float = 12.0, dpi: int = 80):
    """Each metric over iterations, mean ± std over ``runs`` (same variants and frame iterations)."""
    metrics = [m for m in METRIC_TITLES if m in runs[0].metrics]
    fig = new_figure(width, width / len(metrics) * 0.75, dpi)
    axes = fig.subplots(1, len(metrics))
    iters = runs[0].iters
    for ax, name in zip(np.atleast_1d(axes), metrics):
        vals = np.stack([r.metric(name) for r in runs])  # [S, V, F]
        for i, v in enumerate(runs[0].variants):
            if np.isnan(vals[:, i]).all():
                continue
            mu, sd = vals[:, i].mean(0), vals[:, i].std(0)
            ax.plot(iters, mu, color=VARIANT_COLORS.get(v), label=VARIANT_TITLES.get(v, v), lw=1.2)
            ax.fill_between(iters, mu - sd, mu + sd, color=VARIANT_COLORS.get(v), alpha=0.2, lw=0)
        _fixed_ylim(ax, runs[0].cfg, name)
        ax.set_title(f"{METRIC_TITLES[name]} (mean ± std, {len(runs)} seeds)", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("iteration", fontsize=7)
    np.atleast_1d(axes)[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def new_figure(width: float, height: float, dpi: int) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # imported here: importing this module (the
    from matplotlib.figure import Figure  # app's start) does not pay for matplotlib

    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)  # attaches itself as fig.canvas
    return fig


def figure_to_array(fig: Figure) -> np.ndarray:
    """Rasterise a figure → HWC uint8 RGB."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def save_gif(frames: Sequence[np.ndarray], path: str | Path, ms_per_frame: int = 300) -> Path:
    """HWC uint8 frames → an endlessly looping GIF (the last frame held 4× longer)."""
    from PIL import Image

    path = Path(path)
    ims = [Image.fromarray(f).convert("P", palette=Image.Palette.ADAPTIVE, colors=128) for f in frames]
    durations = [ms_per_frame] * (len(ims) - 1) + [ms_per_frame * 4]
    ims[0].save(path, save_all=True, append_images=ims[1:], duration=durations, loop=0, optimize=False)
    return path
