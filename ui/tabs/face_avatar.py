"""The Face tab's editable vector avatar (issue 16, beyond the DTN paper): a panel built by
:func:`ui.tabs.face.build` under its outputs, not a tab of its own.

The face crop the tab shows is read once by :class:`xdomain.avatar_fit.AvatarFitter` (hair colour and
style, glasses, facial hair, smile; the skin tone as ITA) and drawn as a DiceBear avatar. What was read
pre-fills the controls; changing one redraws the avatar from the controls alone (the face is not read
again). The avatar is shown as its SVG (crisp at any size, no rasterisation on the way), downloadable as
SVG and as a 256×256 PNG; the PNG is rasterised in a second step after the avatar is on screen.

Handlers (chained by the tab, private to the API): ``avatar_read`` (crop, style, seed → the reading, the
controls, the avatar), ``avatar_style`` (another style: its palette and hair styles, the avatar),
``avatar_render`` (any other control), ``avatar_png``. Bad control values (e.g. from a scripted client)
give a message in the panel, never an exception.
"""
from __future__ import annotations

import io
import logging
import threading
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gradio as gr
import numpy as np
from PIL import Image

from ui import common
from ui.lazy import lazy
from xdomain import explore, hub
from xdomain.data import avatars

avatar_fit = lazy("xdomain.avatar_fit")  # torch: imported by the first reading, not while the app builds
metrics_avatars = lazy("xdomain.metrics.avatars")
if TYPE_CHECKING:  # names for annotations only: Gradio resolves a handler's hints while the app is built
    from xdomain.avatar_fit import AvatarFitter, FaceReading

log = logging.getLogger(__name__)
READER: str | None = None  # None: xdomain.avatar_fit.READER; a test can point it at another checkpoint folder


def reader_name() -> str:
    """The attribute reader's checkpoint (read when first needed: naming it imports no torch at build time)."""
    return READER or avatar_fit.READER


STYLES = tuple(avatars.STYLES)
N_CONTROLS = 9  # skin, hair colour, hair style, glasses, facial hair, smiling, mirrored, width, length
DEFAULT_STYLE = STYLES[0]
PNG_SIZE = 256
MAX_SEED = 2**31 - 1
NOT_READ = "No face has been read yet: load a photo with a face first."
HAIR_COLOUR_LABELS = {"other": "other (auburn, red)"}
# gr.Image warns, for every SVG it shows, that it cannot watermark one (no watermark is asked for here)
warnings.filterwarnings("ignore", message="Watermarking for SVG images", category=UserWarning)
HELP = ("An editable vector avatar ([DiceBear](https://www.dicebear.com) styles) drawn from what a CelebA attribute "
        "network reads on the crop above: hair colour and style, glasses, facial hair and smile, and the skin colour of the "
        "style's palette nearest to the photo's skin tone (ITA of the cheeks); in *avataaars*, of the 128 variants that agree on "
        "all of that (haircut, beard, mouth, eyes, eyebrows, frames, shade) the one an identity network sees as closest to "
        "the photo is drawn (curly or locked haircuts only when wavy hair is read), and then, of that variant mirrored or not "
        "and drawn a little wider / narrower and longer / shorter, the geometry that network sees as closest. Change any "
        "control to redraw it, then "
        "download it as SVG or PNG. For a Twemoji-style emoji, pick the emoji target in the *Target* list above.")


def fitter() -> AvatarFitter:
    """The face reader, loaded once per process (tests replace this function). Raises
    :class:`xdomain.hub.CheckpointError` while the reader's checkpoint is missing or unreadable."""
    name = reader_name()
    return common.load_once(f"avatar-fitter:{name}", lambda: avatar_fit.AvatarFitter.load(name))


# ----------------------------------------------------------------------------- control values
def skin_choices(style: str) -> list[tuple[str, str]]:
    """The style's skin palette as dropdown choices ("light · ffdbb4", "ffdbb4"), light → dark."""
    return [(f"{group} · {hex_}", hex_) for hex_, group in avatars.get_spec(style).skin.items()]


def _groups(style: str, attr: str) -> list[str]:
    table = getattr(avatars.get_spec(style), attr)
    return [g for g in avatars.GROUPS[attr] if g in table.values()]


def hair_colour_choices(style: str) -> list[tuple[str, str]]:
    return [(HAIR_COLOUR_LABELS.get(g, g), g) for g in _groups(style, "hair_color")]


def _seed(value: Any) -> int:
    try:
        f = float(value)
    except (TypeError, ValueError):
        f = float("nan")
    if not (f.is_integer() and 0 <= f <= MAX_SEED):
        raise ValueError(f"The variant seed must be a whole number from 0 to {MAX_SEED}, not {value!r}.")
    return int(f)


def _stretch(value: Any, what: str) -> float:
    lo, hi = avatars.STRETCH_RANGE
    try:
        f = float(value)
    except (TypeError, ValueError):
        f = float("nan")
    if not lo <= f <= hi:  # NaN fails too
        raise ValueError(f"The {what} must be a number from {lo} to {hi}, not {value!r}.")
    return f


def _geometry(style: str, mirrored: Any, width: Any, length: Any) -> tuple[bool, float, float]:
    """The geometry controls → (mirrored, s_x, s_y) (revision 21); a style without an eye line is not stretched."""
    if not isinstance(mirrored, bool):
        raise ValueError(f"Mirrored must be true or false, not {mirrored!r}.")
    sx, sy = _stretch(width, "width"), _stretch(length, "length")
    return (mirrored, sx, sy) if style in avatars.EYE_LINE else (mirrored, 1.0, 1.0)


def _params(reading: FaceReading | None, style: Any, skin: Any, hair_color: Any, hair_style: Any, glasses: Any,
            facial_hair: Any, smiling: Any, mirrored: Any, width: Any, length: Any, seed: Any) -> avatars.AvatarParams:
    """The controls' values → DiceBear parameters; ``ValueError`` with a message a person can act on. The geometry
    controls always decide the geometry (f's pick only fills them when a face is read)."""
    if reading is None:
        raise ValueError(NOT_READ)
    spec = avatars.get_spec(str(style))  # an unknown style or group, a colour off the palette → ValueError
    geometry = _geometry(spec.name, mirrored, width, length)
    p = avatar_fit.params_for(reading, spec.name, _seed(seed), skin_hex=skin, hair_color=hair_color,
                              hair_style=hair_style, glasses=glasses, facial_hair=facial_hair, smiling=smiling,
                              chooser=_chooser(reading))
    return avatar_fit.with_geometry(p, *geometry)


def _chooser(reading: FaceReading):
    """The reader's variant chooser (revision 6) when this reading was embedded by it, else None."""
    return fitter().chooser if reading.embedding is not None else None


def warm_choice() -> None:
    """Revision 6's candidate embeddings for every reading at variant seed 0, loaded from the avatar cache
    (built and saved there on the first start: ~768 candidate sets × K renders and f passes, at half a core's duty
    so that visitors keep the CPU): a new face then costs one f pass, not K renders and embeddings."""
    reader = fitter()
    if reader.chooser is None:
        return

    def build() -> None:
        try:
            reader.warm(pause=1.0)
        except Exception:  # noqa: BLE001 - best effort: a cold candidate set is computed when a face needs it
            log.exception("building the avatar's candidate bank failed")

    # its own thread: the other warm-ups (run one after another) must not wait minutes for it
    threading.Thread(target=build, name="avatar-choice-bank", daemon=True).start()


def _controls(style: str, p: avatars.AvatarParams) -> list:
    """Updates that set every control to what ``p`` draws (a style's palette and hair styles included)."""
    spec = avatars.get_spec(style)
    mirrored, sx, sy = avatar_fit.geometry_of(p)
    return [gr.update(choices=skin_choices(style), value=p.options[spec.skin_option][0]),
            gr.update(choices=hair_colour_choices(style), value=p.hair_color),
            gr.update(choices=_groups(style, "hair_style"), value=p.hair_style),
            p.glasses, p.facial_hair, p.smiling, mirrored, *_stretch_controls(style, sx, sy)]


def _stretch_controls(style: str, sx: float | None = None, sy: float | None = None) -> list:
    """Updates of the width and length sliders: usable only for a style with an eye line (revision 21)."""
    on = style in avatars.EYE_LINE
    return [gr.update(value=v, interactive=on) if v is not None else gr.update(interactive=on) for v in (sx, sy)]


# ----------------------------------------------------------------------------- what is shown
def read_line(reading: FaceReading, style: str) -> str:
    """One line of what the reader read, e.g. "read: black hair (margin +2.1), short, glasses, …"."""
    m = reading.margins
    key = metrics_avatars.CELEBA_HAIR.get(reading.hair_color)
    if key and m.get(key, 0) > 0:
        hair = f"{reading.hair_color} hair (margin {m[key]:+.1f})"
    else:
        hair = f"{reading.hair_color} hair (no hair colour clears its threshold)"
    flags = [("glasses" if reading.glasses else "no glasses"),
             ("facial hair" if reading.facial_hair else "no facial hair"),
             ("smiling" if reading.smiling else "not smiling")]
    skin = reading.skin_hex(style)
    group = avatars.get_spec(style).skin[skin]
    if style in reading.skin_choice_styles and reading.embedding is not None:  # revision 13
        other = reading.skin_hexes(style, 2)[1]
        skin = f"{skin} ({group}) or {other} ({avatars.get_spec(style).skin[other]}), whichever f sees closer to the photo"
    else:
        skin = f"{skin} ({group})"
    cues = ""
    if style in reading.cue_styles and reading.cues:  # revision 5: what picked the variants inside the groups
        cues = "; cues: " + ", ".join(CUE_LABELS.get(c, c) for c in reading.cues)
    chosen = ""
    if style in reading.choice_styles and reading.embedding is not None:  # revision 6
        chosen = f"; variant: the closest of {fitter().chooser.k} to the photo under f"
        if style in reading.geometry_styles:  # revision 21
            chosen += ", then its geometry (mirror, width, length) the same way"
    return (f"read: {hair}, {reading.hair_style}, {', '.join(flags)}; skin ITA {reading.ita:.0f}° → "
            f"{skin}{cues}{chosen}")


CUE_LABELS = {"Wavy_Hair": "wavy hair", "Straight_Hair": "straight hair", "Bangs": "bangs", "Mustache": "moustache",
              "Goatee": "goatee", "Sideburns": "sideburns", "5_o_Clock_Shadow": "stubble",
              "Mouth_Slightly_Open": "open mouth"}


def credit(style: str) -> str:
    """The style's creator and licence (its CC BY terms require the attribution)."""
    return (f"Style *{style}* by {avatars.STYLE_CREATORS[style]}, licence: {avatars.STYLE_LICENSES[style]}. "
            "Drawn with DiceBear; the SVG carries the same metadata.")


def _svg(p: avatars.AvatarParams) -> str:
    """The avatar's SVG file (content-addressed; the name comes from the style table, not the request)."""
    return common.bytes_file(avatars.render_svg(p.style, p).encode(), f"avatar-{avatars.get_spec(p.style).name}", "svg")


def _png(p: avatars.AvatarParams) -> str:
    """The avatar's PNG file, :data:`PNG_SIZE` square (content-addressed, like :func:`_svg`)."""
    with io.BytesIO() as out:
        Image.fromarray(avatars.render(p.style, p, PNG_SIZE)).save(out, "png", compress_level=1)
        return common.bytes_file(out.getvalue(), f"avatar-{avatars.get_spec(p.style).name}", "png")


def _problem(text: str) -> str:
    return f"**The avatar cannot be drawn:** {text}"


# ----------------------------------------------------------------------------- handlers
@common.friendly
def avatar_read(crop: np.ndarray | None, style: str, seed: float) -> tuple:
    """A face crop (the tab's ×4 display of the 64×64 model input) → (reading, skin, hair colour, hair style,
    glasses, facial hair, smiling, avatar SVG, SVG file, read line, credit, message)."""
    keep = [gr.update()] * N_CONTROLS  # controls untouched when nothing is drawn
    if crop is None:
        return (None, *keep, None, None, "", "", "*No face crop to read: the avatar appears when a face is found.*")
    try:
        reader = fitter()
    except (hub.CheckpointError, ValueError, KeyError, OSError) as e:
        return (None, *keep, None, None, "", "", f"The editable avatar needs the face attribute reader **{reader_name()}**, which "
                f"is not available here ({e}). The rest of the Face tab works as usual.")
    try:
        spec = avatars.get_spec(style)
        x = explore.from_uint8_hwc(np.asarray(crop, dtype=np.uint8), 64, 3)  # [1, 3, 64, 64]
        reading = reader.read(x)[0]
        p = avatar_fit.params_for(reading, spec.name, _seed(seed), chooser=reader.chooser)
    except ValueError as e:
        return (None, *keep, None, None, "", "", _problem(str(e)))
    svg = _svg(p)
    return (reading, *_controls(spec.name, p), svg, svg, read_line(reading, spec.name), credit(spec.name), "")


@common.friendly
def avatar_style(reading: FaceReading | None, style: str, skin: str, hair_color: str, hair_style: str,
                 glasses: bool, facial_hair: bool, smiling: bool, mirrored: bool, width: float, length: float,
                 seed: float) -> tuple:
    """Another style picked → its palette and hair styles, the avatar redrawn: (skin, hair style, width, length,
    SVG, SVG file, read line, credit, message); the width and length sliders are usable only where the style can
    be stretched. A skin colour the user picked maps to the new palette's colour nearest
    in ITA, the photo's colour to the new palette's nearest to the photo; a hair style the style lacks becomes
    short. Values that are no colour or hair style at all get a message, as in :func:`avatar_render`."""
    try:
        spec = avatars.get_spec(str(style))
        if reading is None:
            raise ValueError(NOT_READ)
        photo = {h for s in STYLES for h in (reading.skin_hexes(s, 2) if s in reading.skin_choice_styles
                                             else [reading.skin_hex(s)])}
        if skin in photo:  # the colour read on the photo: the new palette's nearest (or f's pick, revision 13)
            skin = None if spec.name in reading.skin_choice_styles else reading.skin_hex(spec.name)
        elif skin in {h for s in STYLES for h in avatars.get_spec(s).skin}:  # the user's pick, carried over
            skin = min(spec.skin, key=lambda h: abs(metrics_avatars.hex_ita(h) - metrics_avatars.hex_ita(skin)))
        if hair_style in avatars.GROUPS["hair_style"] and hair_style not in spec.hair_style.values():
            hair_style = "short"
        p = _params(reading, spec.name, skin, hair_color, hair_style, glasses, facial_hair, smiling, mirrored, width,
                    length, seed)
    except ValueError as e:
        return gr.update(), gr.update(), gr.update(), gr.update(), None, None, "", "", _problem(str(e))
    svg = _svg(p)
    skin_u, _, hair_u, *_ = _controls(spec.name, p)
    return (skin_u, hair_u, *_stretch_controls(spec.name), svg, svg, read_line(reading, spec.name), credit(spec.name),
            "")


@common.friendly
def avatar_render(reading: FaceReading | None, style: str, skin: str, hair_color: str, hair_style: str,
                  glasses: bool, facial_hair: bool, smiling: bool, mirrored: bool, width: float, length: float,
                  seed: float) -> tuple:
    """Any control changed → (avatar SVG, SVG file, message), the face not read again."""
    try:
        p = _params(reading, style, skin, hair_color, hair_style, glasses, facial_hair, smiling, mirrored, width,
                    length, seed)
    except ValueError as e:
        return None, None, _problem(str(e))
    svg = _svg(p)
    return svg, svg, ""


@common.friendly
def avatar_png(reading: FaceReading | None, style: str, skin: str, hair_color: str, hair_style: str,
               glasses: bool, facial_hair: bool, smiling: bool, mirrored: bool, width: float, length: float,
               seed: float) -> str | None:
    """The same avatar as a 256×256 PNG file (None while it cannot be drawn; the other handlers say why)."""
    try:
        return _png(_params(reading, style, skin, hair_color, hair_style, glasses, facial_hair, smiling, mirrored,
                            width, length, seed))
    except ValueError:
        return None


# ----------------------------------------------------------------------------- layout
@dataclass
class Panel:
    """The panel's components, for the tab to wire: ``follow(event)`` reads the crop after ``event``."""

    crop: gr.Image
    reading: gr.State
    style: gr.Radio
    controls: list  # skin, hair colour, hair style, glasses, facial hair, smiling, mirrored, width, length
    seed: gr.Number
    image: gr.Image
    svg: gr.File
    png: gr.File
    read: gr.Markdown
    credit: gr.Markdown
    message: gr.Markdown

    @property
    def read_outputs(self) -> list:
        return [self.reading, *self.controls, self.image, self.svg, self.read, self.credit, self.message]

    @property
    def inputs(self) -> list:
        return [self.reading, self.style, *self.controls, self.seed]

    def follow(self, event):
        """``event`` → read the crop → draw → PNG; returns the last step, for more ``.then`` steps."""
        return (event.then(avatar_read, [self.crop, self.style, self.seed], self.read_outputs, api_visibility="private")
                     .then(avatar_png, self.inputs, self.png, api_visibility="private", show_progress="hidden"))

    def first_paint(self, crop: np.ndarray | None) -> tuple:
        """Values for ``read_outputs`` + ``png`` on a crop, with the default style and seed."""
        out = avatar_read(crop, DEFAULT_STYLE, 0)
        reading = out[0]
        return (*out, None if reading is None else _png(avatar_fit.params_for(reading, DEFAULT_STYLE, 0,
                                                                              chooser=_chooser(reading))))


def build(crop: gr.Image) -> Panel:
    """Create the panel's components (inside the tab's layout) and wire its own controls."""
    with gr.Accordion("Editable avatar (SVG / PNG)", open=True, elem_id="avatar-panel"):
        gr.Markdown(HELP)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                image = gr.Image(label="Avatar", type="filepath", interactive=False, elem_id="avatar-image",
                                 height=PNG_SIZE, buttons=[])
                with gr.Row():
                    svg = gr.File(label="SVG", interactive=False, elem_id="avatar-svg")
                    png = gr.File(label=f"PNG {PNG_SIZE}×{PNG_SIZE}", interactive=False, elem_id="avatar-png")
                credit_md = gr.Markdown(credit(DEFAULT_STYLE), elem_id="avatar-credit")
            with gr.Column(scale=4):
                style = gr.Radio(list(STYLES), value=DEFAULT_STYLE, label="Style", elem_id="avatar-style")
                skin = gr.Dropdown(skin_choices(DEFAULT_STYLE), label="Skin", elem_id="avatar-skin")
                with gr.Row():
                    hair_color = gr.Dropdown(hair_colour_choices(DEFAULT_STYLE), label="Hair colour",
                                             elem_id="avatar-hair-color")
                    hair_style = gr.Dropdown(_groups(DEFAULT_STYLE, "hair_style"), label="Hair style",
                                             elem_id="avatar-hair-style")
                with gr.Row():
                    glasses = gr.Checkbox(False, label="Glasses", elem_id="avatar-glasses")
                    facial_hair = gr.Checkbox(False, label="Facial hair", elem_id="avatar-facial-hair")
                    smiling = gr.Checkbox(False, label="Smiling", elem_id="avatar-smiling")
                    mirrored = gr.Checkbox(False, label="Mirrored", elem_id="avatar-mirrored")
                lo, hi = avatars.STRETCH_RANGE
                with gr.Row():
                    width = gr.Slider(lo, hi, value=1.0, step=0.01, label="Width", elem_id="avatar-width")
                    length = gr.Slider(lo, hi, value=1.0, step=0.01, label="Length", elem_id="avatar-length")
                seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, elem_id="avatar-seed",
                                 label="Variant seed (eyebrows, clothes and other details; where f chooses, "
                                       "each seed is another set of candidates)")
                read_md = gr.Markdown(elem_id="avatar-read")
                message = gr.Markdown(elem_id="avatar-message")
    panel = Panel(crop, gr.State(), style, [skin, hair_color, hair_style, glasses, facial_hair, smiling, mirrored,
                                            width, length], seed, image, svg, png, read_md, credit_md, message)

    # user edits only (.input): the handlers' own updates of these controls must not redraw a second time
    style.input(avatar_style, panel.inputs, [skin, hair_style, width, length, image, svg, read_md, credit_md, message],
                api_visibility="private", trigger_mode="always_last"
                ).then(avatar_png, panel.inputs, png, api_visibility="private", show_progress="hidden")
    # the sliders redraw on release, not at every step of a drag
    edits = [c.release if isinstance(c, gr.Slider) else c.input for c in [*panel.controls, seed]]
    gr.on(edits, avatar_render, panel.inputs, [image, svg, message],
          api_visibility="private", trigger_mode="always_last"
          ).then(avatar_png, panel.inputs, png, api_visibility="private", show_progress="hidden")
    return panel
