"""Interpolate tab: morph one part of the representation between two images; GIF download.

Gonzalez-Garcia et al., NeurIPS 2018, §4.1 "Domain-specific image interpolation" (Fig. 4a): keep
one part fixed and interpolate the other, ``decode((1−t)·S_1 + t·S_2, E_1)`` (the digit morphs, the
colour stays) or ``decode(S_1, (1−t)·E_1 + t·E_2)`` (the colour morphs, the digit stays).
API endpoints: ``interpolate_run``, ``interpolate_model`` (+ the pickers' ``interpolate_first_*`` / ``interpolate_second_*``).
"""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import gradio as gr
import numpy as np

from ui import common, gallery, selector
from xdomain import explore

STEPS_MAX = 24
PART_CHOICES = [("Shared — the digit morphs, the colour stays", "shared"),
                ("Exclusive — the colour morphs, the digit stays", "exclusive"),
                ("Both", "both")]
GIF_DIR = Path(tempfile.gettempdir()) / "xdomain-gifs"


@common.friendly
def interpolate_run(model_name: str, side: str, first: np.ndarray | None, second: np.ndarray | None, part: str,
                    steps: float) -> tuple[np.ndarray, str]:
    """``steps`` frames from the first image towards the second along ``part`` → (strip, GIF path)."""
    m = selector.model(model_name)
    x1, x2 = gallery.read(m, first, "first image"), gallery.read(m, second, "second image")
    steps = int(np.clip(steps or 2, 2, STEPS_MAX))
    frames = explore.interpolate(m, x1, x2, side, part, steps)  # [steps, C, H, W]
    digest = hashlib.sha1(explore.to_uint8_hwc(frames).tobytes()).hexdigest()[:16]  # same frames, same file
    gif = explore.write_gif(frames, GIF_DIR / f"interpolation-{part}-{digest}.gif")
    return gallery.show_grid(frames, nrow=steps), str(gif)


def build(checkpoints: list[str] | None = None) -> None:
    """Create the tab's components (called inside ``gr.Tab`` by app.py)."""
    top = selector.header("interpolate", checkpoints)
    if top is None:
        return
    sel, side, _ = top
    with gr.Row(equal_height=False):
        with gr.Column():
            first = gallery.ImagePicker("interpolate_first", "First image", sel, side, index=0)
        with gr.Column():
            second = gallery.ImagePicker("interpolate_second", "Second image", sel, side, index=1,
                                         start=gallery.contrasting_start)  # a clearly different colour
    with gr.Row():
        part = gr.Radio(PART_CHOICES, value="exclusive", label="Interpolate", elem_id="interpolate-part", scale=3)
        steps = gr.Slider(2, STEPS_MAX, value=8, step=1, label="Steps", elem_id="interpolate-steps", scale=2)
        run = gr.Button("Interpolate", variant="primary", elem_id="interpolate-run", scale=1)
    strip0 = gif0 = None
    if first.initial is not None and second.initial is not None:  # first paint
        strip0, gif0 = interpolate_run(sel.name, "A", first.initial, second.initial, "exclusive", 8)
    strip = gr.Image(value=strip0, label="Frames (first → second)", type="numpy", format="png", interactive=False,
                     elem_id="interpolate-strip", buttons=["download"])
    gif = gr.File(value=gif0, label="Animated GIF", elem_id="interpolate-gif", interactive=False)
    gr.on([run.click, part.change, steps.release], interpolate_run, [sel.dropdown, side, first.image, second.image, part, steps], [strip, gif],
              api_name="interpolate_run")
