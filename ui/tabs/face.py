"""Face tab: upload a photo (or use the webcam, or a random CelebA test face) → the face crop the
models were trained on → the chosen target (an emoji from the DTN of Taigman et al., ICLR 2017;
later, DiscoGAN attribute models registered for the "face" tab appear in the same dropdown).

The pipeline is :func:`xdomain.face.face_crop` (EXIF orientation, bad-file checks, OpenCV Haar
cascade, CelebA-calibrated square crop, 64×64). The photo is shown with the detected box (green)
and the square actually cropped (red). No face → a message and a "use the whole image" button.

API endpoints: ``face_run`` (photo file → annotated photo, crop, output, message),
``face_webcam`` (webcam frame), ``face_whole`` (re-run the last photo using the whole image),
``face_random`` (a random CelebA test-identity face pasted into a larger photo; needs the data root).
"""
from __future__ import annotations

from typing import Any

import gradio as gr
import numpy as np
import torch
from PIL import Image, ImageDraw

from ui import common
from xdomain import face, registry
from xdomain.data import domains, resolve_root
from xdomain.imageio import ImageInputError, open_image

DISPLAY = 256  # the 64×64 crop and output are shown enlarged


def _celeba_available() -> bool:
    root = resolve_root()
    return (root / "celeba" / "faces_64.tar").is_file() and (root / "celeba" / "faces_64.csv").is_file()


def example_photo(index: int, root=None) -> np.ndarray:
    """A CelebA *test* face enlarged ×4 and pasted off-centre into a 640×480 grey 'photo'."""
    x, cols = domains.celeba_split(resolve_root(root), "test")
    idx = cols["index"][index % len(cols["index"])]
    big = Image.fromarray(np.asarray(x[idx])).resize((256, 256), Image.BICUBIC)
    canvas = Image.new("RGB", (640, 480), (128, 128, 128))
    canvas.paste(big, (300, 120))
    return np.asarray(canvas)


def _annotate(photo: Image.Image, crop: face.FaceCrop) -> np.ndarray:
    img = photo.copy()
    draw = ImageDraw.Draw(img)
    lw = max(2, round(max(img.size) / 300))
    if crop.box:
        x, y, w, h = crop.box
        draw.rectangle([x, y, x + w, y + h], outline=(0, 200, 0), width=lw)
    if crop.region:
        left, top, side, _ = crop.region
        draw.rectangle([left, top, left + side, top + side], outline=(220, 0, 0), width=lw)
    img.thumbnail((640, 640))
    return np.asarray(img)


def _enlarge(img: Image.Image) -> np.ndarray:
    return np.asarray(img.resize((DISPLAY, DISPLAY), Image.BICUBIC))


def _translate(target: str, crop: Image.Image) -> np.ndarray:
    m = common.load_model(target)
    x = torch.from_numpy(np.array(crop)).permute(2, 0, 1)[None].float() / 127.5 - 1  # [1, 3, 64, 64]
    y = m.translate(x, "a2b")  # [1, C, S, S] in [-1, 1]
    return _enlarge(Image.fromarray(common.to_uint8(y[0])))


def _process(target: str, photo: Any, whole: bool) -> tuple:
    """(annotated photo, crop, output, message, whole-image button update, the photo for a re-run)."""
    if not target:
        raise ValueError("Pick a target model first.")
    try:
        img = open_image(photo)
        crop = face.face_crop(img, use_whole_image=whole)
    except ImageInputError as e:
        return None, None, None, f"**Cannot use this file:** {e}", gr.update(visible=False), None
    if crop.image is None:
        return _annotate(img, crop), None, None, f"**{crop.message}**", gr.update(visible=True), photo
    out = _translate(target, crop.image)
    return _annotate(img, crop), _enlarge(crop.image), out, crop.message, gr.update(visible=False), photo


EMPTY = (None, None, None, "Upload a photo, use the webcam, or pick a random CelebA test face.", gr.update(visible=False), None)


@common.friendly
def face_run(target: str, photo: str | None, whole: bool) -> tuple:
    """Uploaded photo (a file path) → annotated photo, 64×64 crop, translation, message."""
    return EMPTY if photo is None else _process(target, photo, whole)


@common.friendly
def face_webcam(target: str, frame: np.ndarray | None, whole: bool) -> tuple:
    """A webcam frame (RGB array) → the same outputs as ``face_run``."""
    return EMPTY if frame is None else _process(target, frame, whole)


@common.friendly
def face_rerun(target: str, photo: Any, whole: bool) -> tuple:
    """Another target picked → translate the last photo again (nothing happens without one)."""
    return EMPTY if photo is None else _process(target, photo, whole)


@common.friendly
def face_whole(target: str, photo: Any) -> tuple:
    """Re-run the last photo with the centre of the whole image instead of a detected face."""
    if photo is None:
        raise ValueError("There is no photo to use yet.")
    return _process(target, photo, True)


@common.friendly
def face_random(target: str, seed: float) -> tuple:
    """A random CelebA test-identity face pasted into a larger photo, run through the pipeline."""
    if not _celeba_available():
        raise ValueError("The CelebA data root is not available on this machine.")
    photo = example_photo(int(np.random.default_rng(int(seed or 0)).integers(1 << 30)))
    return (*_process(target, photo, False), int(seed or 0) + 1)


def build() -> None:
    """Create the tab's components (called inside ``gr.Tab`` by app.py)."""
    names = [c.name for c in registry.checkpoints_for_tab("face")]
    ready = [n for n in names if common.checkpoint_status(n) is None]
    if not ready:
        if not common.missing_panel(names):
            gr.Markdown("No face model is registered yet.")
        return
    gr.Markdown("Your photo is cropped like the CelebA training faces (green: detected face, red: the crop used), "
                "then translated. Photos are processed on this machine and not stored.")
    with gr.Row(equal_height=False):
        with gr.Column(scale=4):
            target = gr.Dropdown(choices=ready, value=ready[0], label="Target", elem_id="face-target")
            upload = gr.File(label="Upload a photo", file_count="single", type="filepath", elem_id="face-file")
            with gr.Accordion("…or use the webcam", open=False):
                webcam = gr.Image(sources=["webcam"], type="numpy", label="Webcam", elem_id="face-webcam")
            whole = gr.Checkbox(False, label="If no face is found, use the whole image", elem_id="face-whole")
            with gr.Row():
                seed = gr.Number(0, precision=0, visible=False)
                random_btn = gr.Button("Random CelebA test face", elem_id="face-random", visible=_celeba_available())
            last = gr.State(None)  # the last photo (path or array), for "use the whole image"
        with gr.Column(scale=6):
            message = gr.Markdown("Upload a photo to start.", elem_id="face-message")
            use_whole = gr.Button("Use the whole image", elem_id="face-use-whole", visible=False, variant="primary")
            with gr.Row():
                photo = gr.Image(label="Photo", type="numpy", format="png", interactive=False, elem_id="face-photo", height=DISPLAY)
                crop = gr.Image(label="Face crop (64×64)", type="numpy", format="png", interactive=False, elem_id="face-crop",
                                height=DISPLAY)
                output = gr.Image(label="Output", type="numpy", format="png", interactive=False, elem_id="face-output",
                                  height=DISPLAY, buttons=["download"])

    outs = [photo, crop, output, message, use_whole, last]
    upload.change(face_run, [target, upload, whole], outs, api_name="face_run")
    webcam.change(face_webcam, [target, webcam, whole], outs, api_name="face_webcam")
    use_whole.click(face_whole, [target, last], outs, api_name="face_whole")
    random_btn.click(face_random, [target, seed], [*outs, seed], api_name="face_random")
    target.change(face_rerun, [target, last, whole], outs, api_name="face_target")
