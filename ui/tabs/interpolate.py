"""Interpolate tab: morph between two images in a model's latent space; GIF download.

* Disentangling models (``latent == "shared+exclusive"``), Gonzalez-Garcia et al., NeurIPS 2018, §4.1
  "Domain-specific image interpolation" (Fig. 4a): keep one part fixed and interpolate the other,
  ``decode((1−t)·S_1 + t·S_2, E_1)`` (the digit morphs, the colour stays) or
  ``decode(S_1, (1−t)·E_1 + t·E_2)`` (the colour morphs, the digit stays), or both.
* Shared-latent models (``latent == "shared"``: UNIT, CoGAN): one code ``z`` renders either domain, so
  ``z_t = (1−t)·z_1 + t·z_2`` (the two images encoded on the chosen side) is shown in *both* domains,
  one labelled strip each; there is no exclusive part, so the part radio is hidden. The GIF plays the
  two domains side by side (each frame: A | B).

What the tab shows is read from the model's ``latent``, never from its name.
API endpoints: ``interpolate_run`` (strip — domain A's for a shared-latent model — and GIF),
``interpolate_strip_b`` (a shared-latent model's domain-B strip; ``None`` for other models),
``interpolate_layout`` (which controls and labels a model gets), ``interpolate_model``,
``interpolate_about`` (+ the pickers' ``interpolate_first_*`` / ``interpolate_second_*``).
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import gradio as gr
import numpy as np

from ui import common, gallery, selector
from ui.lazy import lazy
from xdomain import explore

torch = lazy("torch")

STEPS_MAX = 24
PART_CHOICES = [("Shared — the digit morphs, the colour stays", "shared"),
                ("Exclusive — the colour morphs, the digit stays", "exclusive"),
                ("Both", "both")]
FRAMES_LABEL = "Frames (first → second)"
GIF_LABEL = "Animated GIF"
SHARED_CACHE = 8  # recent shared-latent interpolations kept for the domain-B strip (CoGAN's encode is slow)

_shared: OrderedDict[tuple, torch.Tensor] = OrderedDict()
_shared_lock = threading.Lock()


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha1()
    for a in arrays:
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def _check_latent(m) -> str:
    """The model's ``latent`` when the tab can interpolate with it; else a ValueError saying why."""
    if m.latent not in ("shared", "shared+exclusive"):
        raise ValueError(f"{type(m).__name__} has no latent space to interpolate in (latent = {m.latent!r}): "
                         "pick a disentangling model or one with a shared latent space (UNIT, CoGAN).")
    return m.latent


def _inputs(m, first: np.ndarray | None, second: np.ndarray | None) -> tuple[torch.Tensor, torch.Tensor]:
    return gallery.read(m, first, "first image"), gallery.read(m, second, "second image")


def shared_frames(model_name: str, side: str, first: np.ndarray | None, second: np.ndarray | None,
                  steps: int) -> torch.Tensor:
    """``explore.interpolate_shared`` of the two displayed images → ``[2, steps, C, H, W]``, kept for the
    few latest requests so ``interpolate_run`` and ``interpolate_strip_b`` encode once."""
    m = selector.model(model_name)
    x1, x2 = _inputs(m, first, second)
    key = (model_name, explore.check_side(side), int(steps), _digest(x1.numpy(), x2.numpy()))
    with _shared_lock:
        if key in _shared:
            _shared.move_to_end(key)
            return _shared[key]
    frames = explore.interpolate_shared(m, x1, x2, side, int(steps))
    with _shared_lock:
        _shared[key] = frames
        while len(_shared) > SHARED_CACHE:
            _shared.popitem(last=False)
    return frames


def _steps(steps: float | None) -> int:
    return int(np.clip(steps or 2, 2, STEPS_MAX))


@common.friendly
def interpolate_run(model_name: str, side: str, first: np.ndarray | None, second: np.ndarray | None, part: str,
                    steps: float) -> tuple[np.ndarray, str]:
    """``steps`` frames from the first image towards the second → (strip, GIF path).

    Disentangling model: along ``part`` of the representation, in the images' own domain. Shared-latent
    model (``part`` is ignored): the strip of domain A (``interpolate_strip_b`` gives domain B's) and a
    GIF whose frames show A | B side by side.
    """
    m = selector.model(model_name)
    steps = _steps(steps)
    if _check_latent(m) == "shared":
        frames = shared_frames(model_name, side, first, second, steps)  # [2, steps, C, H, W]
        return gallery.show_grid(frames[0], nrow=steps), common.gif_file(frames, "interpolation-shared-AB")
    x1, x2 = _inputs(m, first, second)
    frames = explore.interpolate(m, x1, x2, side, part, steps)  # [steps, C, H, W]
    return gallery.show_grid(frames, nrow=steps), common.gif_file(frames, f"interpolation-{part}")


@common.friendly
def interpolate_strip_b(model_name: str, side: str, first: np.ndarray | None, second: np.ndarray | None,
                        steps: float) -> np.ndarray | None:
    """A shared-latent model: the same ``z_t`` rendered in domain B (the strip under domain A's);
    ``None`` for a disentangling model (its frames are all in one domain)."""
    m = selector.model(model_name)
    if m.latent != "shared":
        return None
    steps = _steps(steps)
    return gallery.show_grid(shared_frames(model_name, side, first, second, steps)[1], nrow=steps)


def explain_text(m) -> str:
    """What the frames are, for a shared-latent model ("" for a disentangling one: the radio says it)."""
    if m.latent != "shared":
        return ""
    a, b = m.domain_names
    return (f"This model has one shared latent space and no exclusive code: both images are encoded on the "
            f"chosen side, and each point on the line between their codes is rendered as **{a}** (top strip) "
            f"and as **{b}** (bottom strip) — every column is one code shown in both domains. "
            f"The GIF plays them side by side ({a} | {b}).")


def labels(m) -> tuple[str, str, str]:
    """(first strip, second strip, GIF) labels for a model."""
    if m.latent != "shared":
        return FRAMES_LABEL, FRAMES_LABEL, GIF_LABEL
    a, b = m.domain_names
    return f"{a} — frames (first → second)", f"{b} — frames (first → second)", f"{GIF_LABEL} ({a} | {b})"


@common.friendly
def interpolate_layout(model_name: str) -> tuple:
    """Another model picked → the part radio (disentangling models only), the domain-B strip and the
    explanation (shared-latent models only), strip/GIF labels naming the domains; old frames cleared."""
    m = selector.model(model_name)
    shared = m.latent == "shared"
    la, lb, lg = labels(m)
    text = explain_text(m)
    return (gr.update(visible=not shared), gr.update(value=text, visible=bool(text)),
            gr.update(value=None, label=la), gr.update(value=None, label=lb, visible=shared),
            gr.update(value=None, label=lg))


def build(checkpoints: list[str] | None = None) -> None:
    """Create the tab's components (called inside ``gr.Tab`` by app.py)."""
    top = selector.header("interpolate", checkpoints)
    if top is None:
        return
    sel, side, _ = top
    m = sel.model
    shared = m.latent == "shared"
    with gr.Row(equal_height=False):
        with gr.Column():
            first = gallery.ImagePicker("interpolate_first", "First image", sel, side, index=0)
        with gr.Column():
            second = gallery.ImagePicker("interpolate_second", "Second image", sel, side, index=1,
                                         start=gallery.contrasting_start)  # a clearly different colour
    with gr.Row():
        part = gr.Radio(PART_CHOICES, value="exclusive", label="Interpolate", elem_id="interpolate-part", scale=3,
                        visible=not shared)
        steps = gr.Slider(2, STEPS_MAX, value=8, step=1, label="Steps", elem_id="interpolate-steps", scale=2)
        run = gr.Button("Interpolate", variant="primary", elem_id="interpolate-run", scale=1, interactive=False)
    text = explain_text(m)
    explain = gr.Markdown(text, visible=bool(text), elem_id="interpolate-explain")
    la, lb, lg = labels(m)
    strip = gr.Image(label=la, type="numpy", format="png", interactive=False,
                     elem_id="interpolate-strip", buttons=["download"])
    strip_b = gr.Image(label=lb, type="numpy", format="png", interactive=False,
                       elem_id="interpolate-strip-b", buttons=["download"], visible=shared)
    gif = gr.File(label=lg, elem_id="interpolate-gif", interactive=False)

    def first_paint() -> tuple:
        """The two start images interpolated (both domains for a shared-latent model), when a page opens."""
        a, b = first.initial, second.initial
        if a is None or b is None or m.latent not in ("shared", "shared+exclusive"):
            return None, None, None
        strip0, gif0 = interpolate_run(sel.name, "A", a, b, "exclusive", 8)
        return strip0, interpolate_strip_b(sel.name, "A", a, b, 8), gif0

    common.page_default("interpolate", first_paint, [strip, strip_b, gif], enable=(run,))
    sel.dropdown.change(interpolate_layout, sel.dropdown, [part, explain, strip, strip_b, gif],
                        api_name="interpolate_layout")
    images = [sel.dropdown, side, first.image, second.image]
    run_event = gr.on([run.click, part.change, steps.release], interpolate_run, [*images, part, steps], [strip, gif],
                      api_name="interpolate_run")
    # a shared-latent model's domain-B strip, from the frames interpolate_run just computed (cached)
    run_event.success(interpolate_strip_b, [*images, steps], strip_b, api_name="interpolate_strip_b")
