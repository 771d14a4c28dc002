"""Pairs tab: CoGAN's defining property to play with — one noise vector, a corresponding pair.

Liu & Tuzel, *Coupled Generative Adversarial Networks*, NeurIPS 2016: the two generators share their
first layers, so the same ``z`` gives an image in each domain that correspond (a digit and its
negative), although no pair was ever seen in training (§3, Fig. 2–3).

* **Pairs from random z**: ``n`` noise vectors (seeded) → the domain-1 row over the domain-2 row.
* **Walk in z**: from the seed's first ``z``, four sliders move along four fixed random unit directions;
  every move re-renders the pair.
* **Interpolate two z**: ``z_t = (1 − t)·z_a + t·z_b`` between two seeds, every step in both domains; GIF.
* **Translate by inversion** (§5 "Cross-domain image transformation"): an uploaded image of one domain →
  ``z* = argmin_z ‖g_src(z) − x‖²`` (Adam from several random starts, :meth:`CoGAN.invert`), shown as the
  reconstruction ``g_src(z*)`` and the translation ``g_dst(z*)``; the error is streamed while it converges.

Models: the registry's checkpoints for tab ``"pairs"`` (anything with ``sample_pairs`` / ``invert``).
API endpoints: ``pairs_grid``, ``pairs_walk``, ``pairs_interpolate``, ``pairs_invert``.
"""
from __future__ import annotations

import queue
import threading

import gradio as gr
import numpy as np

from ui import common, gallery, selector
from ui.lazy import lazy
from xdomain import explore, registry

torch = lazy("torch")

N_MAX = 16
N_DIRS = 4
STEPS_MAX = 16
WALK_RANGE = 3.0
SCALE = 3  # digits (28 px) are drawn ×3; 64-px faces ×2 (see scale())


def _model(name: str):
    m = selector.model(name)
    if not hasattr(m, "sample_pairs"):
        raise ValueError(f"{selector.display_name(name)} does not draw pairs from one noise vector.")
    return m


def scale(m, small: int = SCALE) -> int:
    """How much a model's images are enlarged on screen: ``small`` for digit-sized ones, 2 from 64 px up."""
    return small if m.image_size <= 32 else 2


def _rows(m, x1: torch.Tensor, x2: torch.Tensor, n: int) -> np.ndarray:
    """Domain 1 over domain 2, ``n`` columns, enlarged by :func:`scale`."""
    k = scale(m)
    return common.grid(explore.upscale(torch.cat([x1, x2]), k), nrow=n, pad=k)


@common.friendly
def pairs_grid(model_name: str, seed: float, n: float) -> np.ndarray:
    """``n`` pairs from seeded noise: the domain-1 images (top row) and domain-2 images (bottom row)."""
    m = _model(model_name)
    n = int(np.clip(n or 1, 1, N_MAX))
    _, x1, x2 = m.sample_pairs(n, seed=int(seed or 0))
    return _rows(m, x1, x2, n)


def directions(dim: int) -> torch.Tensor:
    """``N_DIRS`` fixed random unit directions in z (the same for every model with this ``dim``)."""
    d = torch.randn(N_DIRS, dim, generator=torch.Generator().manual_seed(2016))
    return d / d.norm(dim=1, keepdim=True)


@common.friendly
def pairs_walk(model_name: str, seed: float, *offsets: float) -> np.ndarray:
    """The seed's first ``z`` moved by ``offsets`` along the fixed directions → its pair, side by side."""
    m = _model(model_name)
    z = m.draw_code(1, int(seed or 0)).cpu()
    off = torch.tensor([float(o or 0.0) for o in offsets[:N_DIRS]] + [0.0] * (N_DIRS - len(offsets[:N_DIRS])))
    z = z + off @ directions(z.shape[1])
    x1, x2 = m.sample_pairs_from(z)
    a, b = m.domain_names
    return common.labelled_strip([x1, x2], [a, b], scale=scale(m, 4))


@common.friendly
def pairs_interpolate(model_name: str, seed_a: float, seed_b: float, steps: float) -> tuple[np.ndarray, str]:
    """``z_t`` from seed A's first z to seed B's, each step in both domains → (grid, GIF of 1 | 2)."""
    m = _model(model_name)
    steps = int(np.clip(steps or 2, 2, STEPS_MAX))
    za, zb = m.draw_code(1, int(seed_a or 0)).cpu(), m.draw_code(1, int(seed_b or 0)).cpu()
    t = torch.linspace(0, 1, steps)[:, None]
    x1, x2 = m.sample_pairs_from((1 - t) * za + t * zb)
    frames = torch.stack([x1, x2])  # [2, steps, C, H, W]
    return _rows(m, x1, x2, steps), common.gif_file(frames, "pairs")


def _progress(errors: list[float], steps: int) -> str:
    t = len(errors) - 1
    return (f"Inverting: step {t} of {steps}, reconstruction error {errors[-1]:.4f} (mean squared, [−1, 1] scale; "
            f"it started at {errors[0]:.4f}).")


@common.friendly
def pairs_invert(model_name: str, side: str, file: str | None, steps: float):
    """An uploaded image of domain ``side`` → streamed progress, then a strip (input, reconstruction
    g_src(z*), translation g_dst(z*)) and a note with the error curve."""
    file = common.check_upload(file, "image file")
    m = _model(model_name)
    side = explore.check_side(side)
    steps = int(np.clip(steps or 50, 10, 1000))
    x = gallery.read_upload(m, file)  # [1, C, S, S] in [-1, 1]; a face model's photo is cropped to its face
    errors: list[float] = []
    done: queue.Queue = queue.Queue()

    def run() -> None:
        try:
            with torch.no_grad():
                done.put(m.invert(x, side, steps=steps, seed=0, callback=lambda t, e: errors.append(e)))
        except Exception as e:  # noqa: BLE001 - reported below as a plain message
            done.put(e)

    threading.Thread(target=run, name="pairs-invert", daemon=True).start()
    while True:
        try:
            z = done.get(timeout=0.4)
            break
        except queue.Empty:
            if errors:
                yield gr.skip(), _progress(errors, steps)
    if isinstance(z, Exception):
        raise z
    dst = explore.other(side)
    x_rec, x_out = m.decode(z, None, side), m.decode(z, None, dst)
    names = dict(zip(explore.SIDES, m.domain_names))
    strip = common.labelled_strip([x, x_rec, x_out], ["input", f"g({names[side]})(z*)", f"→ {names[dst]}"], scale=scale(m, 4))
    marks = [0, steps // 4, steps // 2, steps]
    curve = ", ".join(f"step {k}: {errors[k]:.4f}" for k in marks if k < len(errors))
    yield strip, (f"Reconstruction error by step — {curve}. The translation is the other generator's image of the "
                  f"same z*; it is only as good as the reconstruction (an input unlike anything g({names[side]}) can "
                  "draw is not reconstructed, so its translation means little).")


def build(checkpoints: list[str] | None = None) -> None:
    """Create the tab's components (called inside ``gr.Tab`` by app.py)."""
    names = checkpoints if checkpoints is not None else [c.name for c in registry.checkpoints_for_tab("pairs")]
    ready = [n for n in names if selector.available(n)]
    if not ready:
        if not common.missing_panel([n for n in names if n in registry.CHECKPOINTS]):
            gr.Markdown("No pair-generating model (CoGAN) is available yet.")
        return
    m = common.model_view(ready[0])
    gr.Markdown("Training never saw a single pair: the two domains come from **disjoint halves** of the data. "
                "Each column below is one noise vector z drawn by both generators.")
    model = gr.Dropdown([(selector.display_name(n), n) for n in ready], value=ready[0], label="Model",
                        elem_id="pairs-model")
    with gr.Row(equal_height=False):
        with gr.Column():
            gr.Markdown("#### Pairs from random z")
            with gr.Row():
                seed = gr.Number(0, precision=0, label="Seed", elem_id="pairs-seed")
                n = gr.Slider(1, N_MAX, value=8, step=1, label="Pairs", elem_id="pairs-n")
            grid = gr.Image(label=f"Top: {m.domain_names[0]} · bottom: {m.domain_names[1]}", type="numpy",
                            format="png", interactive=False, elem_id="pairs-grid", buttons=["download"])
        with gr.Column():
            gr.Markdown("#### Walk in z (from the seed's first pair)")
            offsets = [gr.Slider(-WALK_RANGE, WALK_RANGE, value=0.0, step=0.1, label=f"direction {i + 1}",
                                 elem_id=f"pairs-dir-{i + 1}") for i in range(N_DIRS)]
            walk = gr.Image(label="The pair", type="numpy", format="png", interactive=False, elem_id="pairs-walk")
    with gr.Accordion("Interpolate between two noise vectors", open=True):
        with gr.Row():
            seed_a = gr.Number(0, precision=0, label="Seed A", elem_id="pairs-seed-a")
            seed_b = gr.Number(1, precision=0, label="Seed B", elem_id="pairs-seed-b")
            steps = gr.Slider(2, STEPS_MAX, value=8, step=1, label="Steps", elem_id="pairs-steps")
            go = gr.Button("Interpolate", variant="primary", elem_id="pairs-interpolate-run", interactive=False)
        strip = gr.Image(label="Each column is one z in both domains", type="numpy", format="png",
                         interactive=False, elem_id="pairs-interpolation", buttons=["download"])
        gif = gr.File(label="Animated GIF (domain 1 | domain 2)", elem_id="pairs-gif", interactive=False)
    with gr.Accordion("Translate by inversion (upload an image of either domain)", open=False):
        with gr.Row():
            side = gr.Radio(selector.side_choices(m), value="A", label="The upload is", elem_id="pairs-side")
            inv_steps = gr.Slider(10, 500, value=150, step=10, label="Inversion steps", elem_id="pairs-inv-steps")
        upload = gr.File(file_types=["image"], type="filepath", label="Image file", elem_id="pairs-upload", height=120)
        inverted = gr.Image(label="Input · reconstruction · translation", type="numpy", format="png",
                            interactive=False, elem_id="pairs-inverted", buttons=["download"])
        inv_note = gr.Markdown(elem_id="pairs-inv-note")

    gr.on([seed.change, n.release, model.change], pairs_grid, [model, seed, n], grid, api_name="pairs_grid",
          trigger_mode="always_last")
    gr.on([s.change for s in offsets] + [seed.change, model.change], pairs_walk, [model, seed, *offsets], walk,
          api_name="pairs_walk", trigger_mode="always_last", show_progress="hidden")
    gr.on([go.click, steps.release, model.change], pairs_interpolate, [model, seed_a, seed_b, steps], [strip, gif],
          api_name="pairs_interpolate")
    upload.upload(pairs_invert, [model, side, upload, inv_steps], [inverted, inv_note], api_name="pairs_invert")
    model.change(lambda name: gr.update(choices=selector.side_choices(common.load_model(name))), model, side,
                 api_visibility="private")

    def first_paint() -> tuple:
        """Eight pairs, the walk's start and an interpolation, when a page opens."""
        return (pairs_grid(ready[0], 0, 8), pairs_walk(ready[0], 0, *[0.0] * N_DIRS),
                *pairs_interpolate(ready[0], 0, 1, 8))

    common.page_default("pairs", first_paint, [grid, walk, strip, gif], enable=(go,))
