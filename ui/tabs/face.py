"""Face tab: upload a photo (or use the webcam, or a random CelebA test face) → the face crop the
models were trained on → the chosen target: an emoji (the DTN of Taigman et al., ICLR 2017) or either
direction of a DiscoGAN (Kim et al., ICML 2017) or UNIT (Liu et al., NeurIPS 2017) face-attribute model:
"Male → Female", "Female → Male", …

The pipeline is :func:`xdomain.face.face_crop` (EXIF orientation, bad-file checks, OpenCV Haar
cascade, CelebA-calibrated square crop, 64×64). The photo is shown with the detected box (green)
and the square actually cropped (red). No face → a message and a "use the whole image" button.
The crop is shown ×4 with square pixels, so the displayed crop *is* the model input (the endpoints
below that take a ``crop`` read it back exactly).

For DiscoGAN targets the tab also shows the round trip A → B → A, repeated 1–4 times (the drift of
Fig. 7f); GAN / GAN + recon / DiscoGAN side by side when the target has baselines (Fig. 2); and up
to three more conversions applied in sequence (Fig. 7e). Under them, an editable vector avatar read from the
same crop (:mod:`ui.tabs.face_avatar`).

Target values are looked up in :func:`target_table` (built from the registry), never used as paths.

API endpoints: ``face_run`` (photo file → annotated photo, crop, output, message),
``face_webcam`` (webcam frame), ``face_whole`` (re-run the last photo using the whole image),
``face_random`` (a random CelebA test-identity face pasted into a larger photo; needs the data root),
``face_target`` (another target), ``face_round_trips`` (target, crop, n → strip, note),
``face_variants`` (target, crop, compare → labelled variants, note), ``face_methods`` (target, crop,
compare → the same direction by every method trained on the pair: DiscoGAN and UNIT), ``face_samples``
(target, crop, n, noise scale, seed → UNIT's z = μ + s·η draws, note), ``face_sequence``
(target, crop, step 1–3 → strip, note).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image, ImageDraw

from ui import common, gallery
from ui.lazy import lazy
from ui.tabs import face_avatar
from xdomain import explore, registry
from xdomain.explore import faces

torch = lazy("torch")
face = lazy("xdomain.face")
imageio = lazy("xdomain.imageio")

DISPLAY = 256  # the 64×64 crop and output are shown enlarged
MAX_TRIPS = 4
MAX_STEPS = 3  # extra conversions in "apply in sequence"
NONE = "none"


# ----------------------------------------------------------------------------- targets
def target_table() -> dict[str, tuple[str, str]]:
    """Dropdown value → (checkpoint, direction), from the registry alone: ``"name"`` (= a2b) and
    ``"name:a2b"`` / ``"name:b2a"`` for every face checkpoint."""
    table: dict[str, tuple[str, str]] = {}
    for c in registry.checkpoints_for_tab("face"):
        table[c.name] = (c.name, "a2b")
        table.update({f"{c.name}:{d}": (c.name, d) for d in explore.DIRECTIONS})
    return table


def _target(value: str | None):
    """A dropdown value → (model, checkpoint, direction), with plain messages for bad values."""
    if not value:
        raise ValueError("Pick a target model first.")
    table = target_table()
    if value not in table:
        raise ValueError(f"Unknown target {value!r}: pick one from the list.")
    name, direction = table[value]
    m = common.load_model(name)
    if direction not in m.directions:
        raise ValueError(f"{name} only translates {m.direction_label('a2b')}.")
    return m, name, direction


def _dst(m, direction: str) -> str:
    """The target domain's name, e.g. "Female"."""
    return m.domain_names[explore.SIDES.index(explore.direction_sides(direction)[1])]


EXPERIMENTAL = "Experimental"


def target_choices() -> tuple[list[tuple[str, str, bool]], list[str], list[faces.FaceTarget]]:
    """Dropdown choices ``(label, value, two-way)``: first the targets that clear their quality bar, then
    the rest labelled "Experimental · … — their figures"; messages for unloadable checkpoints; all targets."""
    problems = [m for m in (common.checkpoint_status(c.name) for c in registry.checkpoints_for_tab("face")) if m]
    targets, broken = faces.face_targets(common.model_view)  # config.json only: no torch while the app builds
    problems += [m for m in broken if not any(c.name in m for c in registry.checkpoints_for_tab("face")
                                              if common.checkpoint_status(c.name))]
    ordered = [t for t in targets if t.offered] + [t for t in targets if not t.offered]
    choices = [(t.label if t.offered else f"{EXPERIMENTAL} · {t.label} — {t.figures}", t.value, t.two_way)
               for t in ordered]
    return choices, problems, targets


def default_target(choices: list[tuple[str, str, bool]]) -> str:
    """The target the tab opens on: the first offered two-way one (a first visit shows the round trip too; the
    avatar is drawn by the panel below either way), else the first choice."""
    return next((value for label, value, both in choices if both and not label.startswith(EXPERIMENTAL)),
                choices[0][1])


def bar_table(targets: list[faces.FaceTarget]) -> str:
    """Markdown: every target, whether it clears its bar, and its stored figures."""
    from xdomain.metrics import bars

    rows = [f"| {t.label} | {'offered' if t.offered else '**experimental**'} | {t.figures or '—'} |" for t in targets]
    used = sorted({registry.get_checkpoint(t.checkpoint).bar for t in targets} - {""})
    notes = "; ".join(f"*{b}*: {bars.BARS[b].about}" for b in used)
    return ("A target is offered only when its stored test figures clear its quality bar; the others are listed "
            f"as experimental with their figures. Bars — {notes}.\n\n| target | status | figures |\n|---|---|---|\n"
            + "\n".join(rows))


# ----------------------------------------------------------------------------- photo pipeline
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


def _pixels(img: Image.Image) -> np.ndarray:
    """The crop ×4 with square pixels: :func:`xdomain.explore.from_uint8_hwc` reads it back exactly."""
    return np.asarray(img.resize((DISPLAY, DISPLAY), Image.NEAREST))


def _translate(target: str, crop: Image.Image) -> np.ndarray:
    m, _, direction = _target(target)
    x = torch.from_numpy(np.array(crop)).permute(2, 0, 1)[None].float() / 127.5 - 1  # [1, 3, 64, 64]
    y = m.translate(x, direction)  # [1, C, S, S] in [-1, 1]
    return _enlarge(Image.fromarray(common.to_uint8(y[0])))


ALIGNED = "aligned"  # a state value {"aligned": uint8 [64, 64, 3]}: a CelebA crop, no detection needed


def _process(target: str, photo: Any, whole: bool) -> tuple:
    """(annotated photo, crop, output, message, whole-image button update, the photo for a re-run)."""
    if not target:
        raise ValueError("Pick a target model first.")
    if isinstance(photo, dict) and ALIGNED in photo:  # already the crop the models were trained on
        img = Image.fromarray(np.asarray(photo[ALIGNED], dtype=np.uint8))
        msg = "A CelebA test-identity face: already aligned like the training crops, so no detection is needed."
        return (_enlarge(img), _pixels(img), _translate(target, img), msg, gr.update(visible=False), photo)
    try:
        img = imageio.open_image(photo)
        crop = face.face_crop(img, use_whole_image=whole)
    except imageio.ImageInputError as e:
        return None, None, None, f"**Cannot use this file:** {e}", gr.update(visible=False), None
    shown = crop.photo or img
    if crop.image is None:
        return _annotate(shown, crop), None, None, f"**{crop.message}**", gr.update(visible=True), photo
    out = _translate(target, crop.image)
    return _annotate(shown, crop), _pixels(crop.image), out, crop.message, gr.update(visible=False), photo


EMPTY = (None, None, None, "Upload a photo, use the webcam, pick an example or a random CelebA test face.",
         gr.update(visible=False), None)
EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
# label → (file under ui/examples, how to present it). Public-domain / CC0 photos (scikit-image's test images).
EXAMPLES: dict[str, tuple[str, int]] = {
    "Astronaut Eileen Collins (NASA, public domain)": ("astronaut.jpg", 0),
    "The same photo turned on its side (the pipeline turns it back)": ("astronaut.jpg", 90),
    "Cameraman (CC0; greyscale, face too small: no face is found)": ("camera.jpg", 0),
}
DEFAULT_EXAMPLE = next(iter(EXAMPLES))


def example_image(label: str) -> np.ndarray:
    """A bundled example photo by its label (labels are looked up, never used as paths)."""
    if label not in EXAMPLES:
        raise ValueError(f"Unknown example {label!r}: pick one from the list.")
    name, turn = EXAMPLES[label]
    img = imageio.open_image(EXAMPLES_DIR / name)
    return np.asarray(img.rotate(turn, expand=True) if turn else img)


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
    """A random CelebA test-identity face (already aligned: translated without detection)."""
    if not faces.celeba_available():
        raise ValueError("The CelebA data root is not available on this machine.")
    face64 = faces.celeba_test_face(int(np.random.default_rng(int(seed or 0)).integers(1 << 30)))
    return (*_process(target, {ALIGNED: face64}, False), int(seed or 0) + 1)


@common.friendly
def face_example(target: str, label: str) -> tuple:
    """A bundled example photo (public domain / CC0) through the pipeline."""
    return _process(target, example_image(label), False)


def _crop_input(m, crop: np.ndarray) -> torch.Tensor:
    return gallery.read(m, crop, "face crop")  # [1, C, 64, 64]


@common.friendly
def face_round_trips(target: str, crop: np.ndarray | None, n: float) -> tuple[np.ndarray | None, str]:
    """The crop through ``n`` round trips A → B → A (DiscoGAN Fig. 7f) as one strip, and a note."""
    if crop is None:
        return None, ""
    m, _, d = _target(target)
    if not m.two_way:
        return None, f"*{m.direction_label(d)} translates one way only, so there is no round trip.*"
    n = int(np.clip(n or 1, 1, MAX_TRIPS))
    xs = explore.round_trips(m, _crop_input(m, crop), d, n)  # 2n + 1 images [1, C, S, S]
    back = "b2a" if d == "a2b" else "a2b"
    drift = explore.round_trip_drift(xs)
    note = (f"{m.direction_label(d)} → {_dst(m, back)}, {n}×. Mean pixel change from the crop after each "
            f"round trip: {', '.join(f'{v:.1%}' for v in drift)}.")
    return common.labelled_strip(xs, ["crop"] + [f"→ {_dst(m, d)}", f"→ {_dst(m, back)}"] * n), note


@common.friendly
def face_variants(target: str, crop: np.ndarray | None, compare: bool) -> tuple[np.ndarray | None, str]:
    """GAN / GAN + recon / DiscoGAN on the crop side by side, when the target has baselines (Fig. 2)."""
    if not compare or crop is None:
        return None, ""
    m, name, d = _target(target)
    names = faces.variants_of(name)
    if len(names) == 1:
        having = {c.extra["baseline_of"] for c in registry.CHECKPOINTS.values() if "baseline_of" in c.extra}
        having = [" ↔ ".join(common.load_model(h).domain_names) for h in sorted(having)
                  if common.checkpoint_status(h) is None]
        return None, (f"No baselines were trained for {m.direction_label(d)}; the comparison exists for "
                      f"{', '.join(having) or 'no available model yet'}.")
    x, tiles, notes = _crop_input(m, crop), [], []
    for v in names:
        status = common.checkpoint_status(v)
        if status:
            notes.append(status)
            continue
        vm = common.load_model(v)
        order, label = faces.variant_label(vm)
        if d not in vm.directions:
            notes.append(f"The {label} baseline has no G_BA: it only translates {' → '.join(vm.domain_names)}, "
                         f"so it is left out for {m.direction_label(d)}.")
            continue
        steps = vm.checkpoint_meta.get("training", {}).get("steps")
        tiles.append((order, f"{label}, {steps} steps" if steps else label, vm.translate(x, d)))
    tiles.sort(key=lambda t: t[0])
    image = common.labelled_strip([x] + [t[2] for t in tiles], ["crop"] + [t[1] for t in tiles], scale=3)
    return image, "\n\n".join(notes) or (f"{m.direction_label(d)} by each variant (same data and seed; the DiscoGAN ran longer — "
        "docs/discogan.md compares all three at equal steps).")


@common.friendly
def face_methods(target: str, crop: np.ndarray | None, compare: bool) -> tuple[np.ndarray | None, str]:
    """The crop through every method trained on the target's pair, same direction, side by side
    (e.g. Male → Female by DiscoGAN and by UNIT); below-bar ones say so, with their figures."""
    if not compare or crop is None:
        return None, ""
    m, name, d = _target(target)
    others = faces.same_pair(name)
    pair = " ↔ ".join(m.domain_names)
    if not others:
        return None, f"Only {faces.method_title(name)} was trained on {pair}; there is nothing to compare it with yet."
    verdicts = {(t.checkpoint, t.direction): t for t in faces.face_targets(common.model_view)[0]}
    x, tiles, labels, notes = _crop_input(m, crop), [], [], []
    for n in (name, *others):
        problem = common.checkpoint_status(n)
        if problem:
            notes.append(problem)
            continue
        vm = common.load_model(n)
        if d not in vm.directions:
            notes.append(f"{faces.method_title(n)} only translates {vm.direction_label('a2b')}.")
            continue
        t = verdicts.get((n, d))
        below = t is not None and not t.offered
        tiles.append(vm.translate(x, d))
        labels.append(faces.method_title(n) + (" (exp.)" if below else ""))
        if below:
            notes.append(f"{t.label} is experimental (below its quality bar): {t.figures}.")
    image = common.labelled_strip([x, *tiles], ["crop", *labels], scale=3)
    return image, "\n\n".join([f"{m.direction_label(d)} by each method trained on {pair} (same test-identity "
                                 "splits and judge; docs/unit.md compares their figures).", *notes])


SAMPLES_MAX = 8


@common.friendly
def face_samples(target: str, crop: np.ndarray | None, n: float, scale: float, seed: float
                 ) -> tuple[np.ndarray | None, str]:
    """UNIT-style stochastic outputs: the crop's code μ decoded as is and with ``n`` draws z = μ + s·η
    (Liu et al., §3); a plain note for deterministic targets."""
    if crop is None:
        return None, ""
    m, _, d = _target(target)
    if not getattr(m, "latent_noise", False):
        return None, (f"*{m.direction_label(d)} is deterministic: one crop gives one output. "
                      "UNIT targets decode z = μ + s·η, so their outputs vary with η.*")
    n, s = int(np.clip(n or 4, 1, SAMPLES_MAX)), float(np.clip(scale if scale is not None else 1.0, 0.0, 3.0))
    x = _crop_input(m, crop)
    ys = explore.translate_diverse(m, x, d, n, int(seed or 0), s)  # [n, C, S, S]
    at_mu = m.translate(x, d)
    spread = float((ys[:, None] - ys[None]).abs().mean().item() / 2) * n / max(n - 1, 1)  # mean over pairs i ≠ j
    image = common.labelled_strip([x, at_mu, *ys], ["crop", "z = μ", *[f"η{i + 1}" for i in range(n)]], scale=2)
    return image, (f"{m.direction_label(d)}: the crop's code μ, then {n} draws z = μ + {s:g}·η, η ~ N(0, I) "
                   f"(seed {int(seed or 0)}). Mean pixel difference between two draws: {spread:.1%} of the range.")


@common.friendly
def face_sequence(target: str, crop: np.ndarray | None, *steps: str) -> tuple[np.ndarray | None, str]:
    """The crop → target → up to three more conversions, as one strip (DiscoGAN Fig. 7e)."""
    picks = [v for v in steps[:MAX_STEPS] if v and v != NONE]
    if crop is None:
        return None, ""
    if not picks:
        return None, "Pick up to three more conversions to apply after the target."
    chain = [_target(v) for v in (target, *picks)]
    xs = explore.apply_sequence([(m, d) for m, _, d in chain], _crop_input(chain[0][0], crop))
    return common.labelled_strip(xs, ["crop"] + [f"→ {_dst(m, d)}" for m, _, d in chain]), ""


def build() -> None:
    """Create the tab's components (called inside ``gr.Tab`` by app.py). The tab opens on a bundled example
    photo already translated by the first target that clears its quality bar."""
    choices, problems, targets = target_choices()
    if not choices:
        gr.Markdown("\n\n".join(problems) or "No face model is registered yet.")
        return
    gr.Markdown("Your photo is cropped like the CelebA training faces (green: detected face, red: the crop used), "
                "then translated. Photos are processed on this machine and not stored.")
    if problems:
        with gr.Accordion("Models not available yet", open=False):
            gr.Markdown("\n\n".join(problems))
    two_way = [(label, value) for label, value, both in choices if both]
    default = default_target(choices)
    with gr.Row(equal_height=False):
        with gr.Column(scale=4):
            target = gr.Dropdown(choices=[(label, value) for label, value, _ in choices], value=default,
                                 label="Target", elem_id="face-target")
            with gr.Accordion("Which targets are offered, and why", open=False):
                gr.Markdown(bar_table(targets), elem_id="face-bars")
            example = gr.Radio(list(EXAMPLES), value=DEFAULT_EXAMPLE, label="Example photos", elem_id="face-example")
            upload = gr.File(label="Upload a photo", file_count="single", type="filepath", elem_id="face-file")
            with gr.Accordion("…or use the webcam", open=False):
                webcam = gr.Image(sources=["webcam"], type="numpy", label="Webcam", elem_id="face-webcam")
            whole = gr.Checkbox(False, label="If no face is found, use the whole image", elem_id="face-whole")
            with gr.Row():
                seed = gr.Number(0, precision=0, visible=False)
                random_btn = gr.Button("Random CelebA test face", elem_id="face-random", visible=faces.celeba_available())
            last = gr.State()  # the last photo (path, array or aligned crop), for re-runs
        with gr.Column(scale=6):
            message = gr.Markdown(elem_id="face-message")
            use_whole = gr.Button("Use the whole image", elem_id="face-use-whole", visible=False, variant="primary")
            with gr.Row():
                photo = gr.Image(label="Photo", type="numpy", format="jpeg", interactive=False,
                                 elem_id="face-photo", height=DISPLAY)
                crop = gr.Image(label="Face crop (64×64)", type="numpy", format="png", interactive=False,
                                elem_id="face-crop", height=DISPLAY)
                output = gr.Image(label="Output", type="numpy", format="png", interactive=False,
                                  elem_id="face-output", height=DISPLAY, buttons=["download"])
            trips = gr.Slider(1, MAX_TRIPS, value=1, step=1, label="Round trips (A → B → A, repeated)", elem_id="face-trips")
            roundtrip = gr.Image(label="Round trip", type="numpy", format="png", interactive=False,
                                 elem_id="face-roundtrip", buttons=["download"])
            trip_note = gr.Markdown(elem_id="face-roundtrip-note")
            with gr.Accordion("Compare the three variants", open=False):
                compare = gr.Checkbox(False, label="Compare GAN / GAN + recon / DiscoGAN (paper Fig. 2)", elem_id="face-compare")
                variants = gr.Image(label="Variants", type="numpy", format="png", interactive=False, elem_id="face-variants")
                variants_note = gr.Markdown(elem_id="face-variants-note")
            with gr.Accordion("Other methods, same pair", open=False):
                methods_on = gr.Checkbox(False, label="Translate with every method trained on this pair (DiscoGAN, UNIT)",
                                         elem_id="face-methods-on")
                methods = gr.Image(label="Methods", type="numpy", format="png", interactive=False, elem_id="face-methods",
                                   buttons=["download"])
                methods_note = gr.Markdown(elem_id="face-methods-note")
            with gr.Accordion("Several outputs (UNIT: z = μ + s·η)", open=False):
                with gr.Row():
                    n_samples = gr.Slider(1, SAMPLES_MAX, value=4, step=1, label="Outputs", elem_id="face-samples-n")
                    noise = gr.Slider(0, 3, value=1, step=0.1, label="Noise scale s", elem_id="face-noise")
                    sample_seed = gr.Number(0, precision=0, label="Seed", elem_id="face-samples-seed")
                samples = gr.Image(label="Samples", type="numpy", format="png", interactive=False, elem_id="face-samples",
                                   buttons=["download"])
                samples_note = gr.Markdown(elem_id="face-samples-note")
            with gr.Accordion("Apply in sequence", open=False):
                with gr.Row():
                    steps = [gr.Dropdown(choices=[(NONE, NONE), *two_way], value=NONE, label=f"then step {i + 1}",
                                         elem_id=f"face-step-{i + 1}") for i in range(MAX_STEPS)]
                sequence = gr.Image(label="Sequence", type="numpy", format="png", interactive=False, elem_id="face-sequence",
                                    buttons=["download"])
                sequence_note = gr.Markdown(elem_id="face-sequence-note")
            avatar = face_avatar.build(crop)

    def first_paint() -> tuple:
        """The bundled example through the first offered target, its round trip and its avatar, when a page opens."""
        first = face_example(default, DEFAULT_EXAMPLE)  # (photo, crop, output, message, button update, last)
        return (*first, *face_round_trips(default, first[1], 1), *avatar.first_paint(first[1]))

    common.page_default("face", first_paint, [photo, crop, output, message, use_whole, last, roundtrip, trip_note,
                                              *avatar.read_outputs, avatar.png])
    # after the paint (the opening tab's paint must be the first warm-up); it returns at once, building in a thread
    common.after_start("avatar-choice-bank", face_avatar.warm_choice)

    sample_args = [n_samples, noise, sample_seed]

    def then_panels(event, new_crop: bool = True) -> None:
        """After anything that changes the crop or the target: the avatar (a new crop only), then the round
        trip, variants and sequence, one after the other in the same chain (no second trigger racing the first,
        so no spinner is left behind)."""
        if new_crop:
            event = avatar.follow(event)
        (event.then(face_round_trips, [target, crop, trips], [roundtrip, trip_note], api_visibility="private")
              .then(face_variants, [target, crop, compare], [variants, variants_note], api_visibility="private")
              .then(face_methods, [target, crop, methods_on], [methods, methods_note], api_visibility="private")
              .then(face_samples, [target, crop, *sample_args], [samples, samples_note], api_visibility="private")
              .then(face_sequence, [target, crop, *steps], [sequence, sequence_note], api_visibility="private"))

    # the panels' own endpoints first: they keep their API names (the chained copies below are private)
    trips.change(face_round_trips, [target, crop, trips], [roundtrip, trip_note], api_name="face_round_trips",
                 trigger_mode="always_last")
    compare.change(face_variants, [target, crop, compare], [variants, variants_note], api_name="face_variants")
    methods_on.change(face_methods, [target, crop, methods_on], [methods, methods_note], api_name="face_methods")
    gr.on([n_samples.release, noise.release, sample_seed.submit], face_samples, [target, crop, *sample_args],
          [samples, samples_note], api_name="face_samples", trigger_mode="always_last")
    gr.on([s_.change for s_ in steps], face_sequence, [target, crop, *steps], [sequence, sequence_note],
          api_name="face_sequence", trigger_mode="always_last")
    outs = [photo, crop, output, message, use_whole, last]
    then_panels(upload.change(face_run, [target, upload, whole], outs, api_name="face_run"))
    then_panels(webcam.change(face_webcam, [target, webcam, whole], outs, api_name="face_webcam"))
    then_panels(use_whole.click(face_whole, [target, last], outs, api_name="face_whole"))
    then_panels(random_btn.click(face_random, [target, seed], [*outs, seed], api_name="face_random"))
    then_panels(example.input(face_example, [target, example], outs, api_name="face_example"))
    then_panels(target.input(face_rerun, [target, last, whole], outs, api_name="face_target"), new_crop=False)
