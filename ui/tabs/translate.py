"""Translate tab: diverse outputs from random z, and eight sliders for the exclusive code; for plain
translators (no exclusive code), the one output and its round trip.

Gonzalez-Garcia et al., NeurIPS 2018, §4.1 "Sample diversity": the translation of ``x`` is
``G_d(S^X(x), z)``; the shared part ``S`` keeps the digit and the exclusive code ``z`` (8-d, ~N(0, I))
picks the target-domain colour. Sliders set ``z`` directly; *Randomise* draws it; *Take code from
reference* sets it to ``E^Y`` of a reference image of the target domain.

Models without an exclusive code (``explore.exclusive_dim(m) == 0``: DiscoGAN bags ↔ shoes, the DTN
digits) are deterministic, so sliders and "N outputs" would be useless: the tab shows the output and,
when the model has both directions, the round trip ``x → G_AB(x) → G_BA(G_AB(x))`` (Kim et al. 2017).
UNIT's digit translators have no exclusive code either, but their outputs decode ``z = μ(x) + s·η``,
``η ~ N(0, I)`` (Liu et al. 2017, §3): they get the output at ``μ`` with its round trip *and* the
"N outputs" column, with a noise-scale slider ``s``.
The direction radio offers only the directions the model has.

API endpoints (``api_name``): ``translate_code`` (live output from the sliders),
``translate_randomise``, ``translate_take_code``, ``translate_diverse``, ``translate_model``,
``translate_once`` (plain translators: output, round trip, note), ``translate_layout`` (which
controls a model gets), plus the pickers' ``translate_input_*`` and ``translate_ref_*`` (see
:class:`ui.gallery.ImagePicker`).
"""
from __future__ import annotations

import gradio as gr
import numpy as np

from ui import common, gallery, selector
from ui.lazy import lazy
from xdomain import explore

torch = lazy("torch")

CODE_RANGE = 3.0  # sliders span ±3σ of the N(0, I) prior
CODE_STEP = 0.01
N_MAX = 16
NOISE_MAX = 3.0  # UNIT's noise scale s in z = μ + s·η


def _rounded(code: torch.Tensor) -> list[float]:
    """Codes as slider values: clamped to the range, rounded to the step (no snapping echo)."""
    return [round(float(v), 2) for v in code.clamp(-CODE_RANGE, CODE_RANGE)]


@common.friendly
def translate_code(model_name: str, direction: str, image: np.ndarray | None, *code: float) -> np.ndarray | None:
    """The input translated with the sliders' exclusive code: ``decode(S_src(x), code, target)``.

    Runs live on every slider move; returns nothing while there is no input image.
    """
    if image is None:
        return None
    m = selector.model(model_name)
    if not explore.exclusive_dim(m):
        return gr.skip()  # a plain translator: translate_once paints the output
    d = explore.require_codes(m)
    if len(code) != d:
        raise ValueError(f"expected {d} code values, got {len(code)}")
    c = torch.tensor([float(v or 0.0) for v in code])  # [d]
    return gallery.show(explore.translate_with_code(m, gallery.read(m, image), direction, c))


@common.friendly
def translate_randomise(model_name: str, seed: float) -> list[float]:
    """A code drawn from N(0, I) with ``seed`` → ``[seed + 1, *code]`` (the next click differs)."""
    m = selector.model(model_name)
    z = explore.random_codes(1, explore.require_codes(m), int(seed or 0))[0]  # [d]
    return [int(seed or 0) + 1, *_rounded(z)]


@common.friendly
def translate_take_code(model_name: str, direction: str, reference: np.ndarray | None) -> list[float]:
    """The exclusive code ``E`` of a reference image of the target domain (clamped to ±3)."""
    m = selector.model(model_name)
    _, dst = explore.direction_sides(direction)
    e = explore.exclusive_code(m, gallery.read(m, reference, "reference image"), dst)[0]  # [d]
    return _rounded(e)


@common.friendly
def translate_diverse(model_name: str, direction: str, image: np.ndarray | None, n: float, seed: float,
                      scale: float = 1.0) -> np.ndarray | None:
    """``n`` translations of the input with random codes ``z_i ~ N(0, I)`` (seeded), as one grid; for UNIT,
    ``n`` draws ``z_i = μ(x) + scale·η_i`` (the noise scale is read only for such models)."""
    if image is None:
        return None
    m = selector.model(model_name)
    if not _samples(m):
        return gr.skip()  # deterministic: N copies of one output would say nothing
    n = int(np.clip(n or 1, 1, N_MAX))
    s = float(np.clip(1.0 if scale is None else scale, 0.0, NOISE_MAX)) if _noise(m) else 1.0
    out = explore.translate_diverse(m, gallery.read(m, image), direction, n, int(seed or 0), s)  # [n, C, H, W]
    return gallery.show_grid(out, nrow=min(n, 4))


@common.friendly
def translate_once(model_name: str, direction: str, image: np.ndarray | None) -> tuple:
    """Plain translators: (output, round trip ``x → G(x) → back`` when both directions exist, note).

    Models with an exclusive code are left to ``translate_code`` (nothing changes)."""
    if image is None:
        return None, None, ""
    m = selector.model(model_name)
    if explore.exclusive_dim(m):
        return gr.skip(), gr.skip(), gr.skip()
    if direction not in m.directions:
        raise ValueError(f"This model only translates {' → '.join(m.domain_names)}.")
    x = gallery.read(m, image)  # [1, C, H, W]
    y = m.translate(x, direction)  # [1, C, H, W]
    if not m.two_way:
        return gallery.show(y), None, "This model translates one way only, so there is no round trip."
    xs = explore.round_trips(m, x, direction, 1)  # [x, G(x), back(G(x))]
    src, dst = (m.domain_names[explore.SIDES.index(s)] for s in explore.direction_sides(direction))
    strip = common.labelled_strip(xs, ["input", f"→ {dst}", f"→ {src}"], scale=gallery.DISPLAY_SCALE)
    err = float((xs[2] - xs[0]).abs().mean()) / 2  # [-1, 1] → fraction of the pixel range
    return gallery.show(y), strip, f"Round trip {src} → {dst} → {src}: mean pixel change {err:.1%}."


def _noise(m) -> bool:
    """Outputs decode ``μ(x) + η`` (UNIT): a noise-scale slider makes sense."""
    return bool(getattr(m, "latent_noise", False)) and not explore.exclusive_dim(m)


def _samples(m) -> bool:
    """The model's outputs vary with a random code: the "N outputs" column is shown."""
    return explore.exclusive_dim(m) > 0 or _noise(m)


def plain_text(m) -> str:
    """What the plain-translator column says: with both directions, what the round trip shows; one way,
    that there is none (and no round-trip image)."""
    a, b = m.domain_names
    if _noise(m):
        return (f"This model has one shared latent space and no exclusive code. The output above decodes the "
                f"input's code μ; the outputs on the right decode z = μ + s·η, η ~ N(0, I) (UNIT, §3), at the "
                f"noise scale s you set. It translates both ways ({a} ↔ {b}), so the round trip below translates "
                "the output back and shows how much of the input survives.")
    if m.two_way:
        return (f"This model has no exclusive code: each input has exactly one output. It translates both ways "
                f"({a} ↔ {b}), so the round trip below translates the output back and shows how much of the input "
                "survives.")
    src, dst = (m.domain_names[explore.SIDES.index(s)] for s in explore.direction_sides(m.directions[0]))
    return (f"This model has no exclusive code: each input has exactly one output. It translates one way only "
            f"({src} → {dst}), so there is no way back and no round trip.")


@common.friendly
def translate_layout(model_name: str) -> tuple:
    """Another model picked → code sliders and diverse outputs, or the plain output; the round trip
    (image and note) only for models with both directions, and the text that says which."""
    m = selector.model(model_name)
    d = explore.exclusive_dim(m)
    trip = d == 0 and m.two_way
    return (gr.update(visible=d > 0), gr.update(visible=d == 0), gr.update(visible=_samples(m)),
            gr.update(value=plain_text(m)), gr.update(visible=trip), gr.update(visible=trip),
            gr.update(visible=_noise(m)))


def _max_code_dim(names: list[str]) -> int:
    """The most code sliders any of the tab's models needs (a model that fails to load needs none)."""
    dims = [0]
    for name in names:
        try:
            dims.append(explore.exclusive_dim(common.model_view(name)))
        except gr.Error:
            pass
    return max(dims)


def build(checkpoints: list[str] | None = None) -> None:
    """Create the tab's components (called inside ``gr.Tab`` by app.py)."""
    top = selector.header("translate", checkpoints, kind="direction", label="Direction")
    if top is None:
        return
    sel, direction, _ = top
    m = sel.model
    d = explore.exclusive_dim(m)
    n_codes = _max_code_dim([c[1] if isinstance(c, tuple) else c for c in sel.dropdown.choices])
    with gr.Row(equal_height=False):
        with gr.Column(scale=4):
            picker = gallery.ImagePicker("translate_input", "Input (source domain)", sel, direction, role="source", index=0,
                                         start=gallery.faithful_start)
        with gr.Column(scale=5):
            output = gr.Image(label="Output (target domain)", type="numpy", format="png", interactive=False, height=200,
                              elem_id="translate-output", buttons=["download"])
            with gr.Column(visible=d > 0) as codes_col:
                gr.Markdown("#### Exclusive code → output\nThe digit comes from the input's shared part; "
                            "the sliders set the 8-d exclusive code (the colour).")
                sliders: list[gr.Slider] = []
                with gr.Row():
                    for half in (range(0, (n_codes + 1) // 2), range((n_codes + 1) // 2, n_codes)):
                        with gr.Column(min_width=200):
                            sliders += [gr.Slider(-CODE_RANGE, CODE_RANGE, value=0.0, step=CODE_STEP, label=f"code {i}",
                                                  elem_id=f"code-{i}") for i in half]
                if n_codes:
                    with gr.Row():
                        code_seed = gr.Number(value=0, precision=0, label="Random seed", elem_id="translate-code-seed", scale=1)
                        randomise = gr.Button("Randomise", elem_id="translate-randomise", scale=1)
                    with gr.Accordion("Take the code from a reference", open=False):
                        ref = gallery.ImagePicker("translate_ref", "Reference (target domain)", sel, direction,
                                                  role="target", index=1)
                        take = gr.Button("Take code from reference", elem_id="translate-take-code", variant="primary")
            with gr.Column(visible=d == 0) as plain_col:
                plain = gr.Markdown(plain_text(m), elem_id="translate-plain-text")
                roundtrip = gr.Image(label="Round trip", type="numpy", format="png", interactive=False,
                                     elem_id="translate-roundtrip", buttons=["download"], visible=m.two_way)
                trip_note = gr.Markdown(elem_id="translate-roundtrip-note", visible=m.two_way)
        with gr.Column(scale=4, visible=_samples(m)) as diverse_col:
            gr.Markdown("#### Diverse outputs from random z")
            with gr.Row():
                n = gr.Slider(1, N_MAX, value=8, step=1, label="N outputs", elem_id="translate-n")
                seed = gr.Number(value=0, precision=0, label="Seed", elem_id="translate-seed")
            noise = gr.Slider(0, NOISE_MAX, value=1.0, step=0.1, label="Noise scale s (z = μ + s·η)",
                              elem_id="translate-noise", visible=_noise(m))
            run = gr.Button("Sample N outputs", elem_id="translate-diverse-btn", variant="primary", interactive=False)
            diverse = gr.Image(value=None, label="Outputs",  # painted when a page opens (first_paint), not at start
                               type="numpy", format="png", interactive=False, elem_id="translate-diverse", buttons=["download"])

    sel.dropdown.change(translate_layout, sel.dropdown,
                        [codes_col, plain_col, diverse_col, plain, roundtrip, trip_note, noise], api_name="translate_layout")
    if n_codes:
        gr.on([s.change for s in sliders] + [picker.image.change, direction.change], translate_code,
              [sel.dropdown, direction, picker.image, *sliders], output, api_name="translate_code",
              trigger_mode="always_last", show_progress="hidden", queue=False)
        randomise.click(translate_randomise, [sel.dropdown, code_seed], [code_seed, *sliders], api_name="translate_randomise")
        take.click(translate_take_code, [sel.dropdown, direction, ref.image], sliders, api_name="translate_take_code")

    def first_paint() -> tuple:
        """The first test image's output with code 0 (or its translation and round trip), and eight samples."""
        x = picker.initial
        if x is None:
            return None, None, "", None
        if d:
            return translate_code(sel.name, "a2b", x, *[0.0] * d), gr.skip(), gr.skip(), \
                translate_diverse(sel.name, "a2b", x, 8, 0)
        return (*translate_once(sel.name, "a2b", x), translate_diverse(sel.name, "a2b", x, 8, 0) if _noise(m) else None)

    common.page_default("translate", first_paint, [output, roundtrip, trip_note, diverse], enable=(run,))
    gr.on([run.click, picker.image.change, direction.change, noise.release], translate_diverse,
          [sel.dropdown, direction, picker.image, n, seed, noise], diverse, api_name="translate_diverse",
          trigger_mode="always_last")
    gr.on([picker.image.change, direction.change], translate_once, [sel.dropdown, direction, picker.image],
          [output, roundtrip, trip_note], api_name="translate_once", trigger_mode="always_last")
