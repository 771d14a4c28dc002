"""Test-image galleries and the image picker shared by the exploration tabs.

An :class:`ImagePicker` gives one canonical image (``gr.Image``, 32×32 shown 4× enlarged) that
the tab's handlers read, filled three ways:

* **Test set**: a gallery of the model's test split (select one, or type any index and *Load*);
* **Upload**: any image file, decoded by :mod:`xdomain.imageio` (bad files → a clear message);
* **Draw**: a digit drawn on a sketchpad, normalised like MNIST and rendered into the chosen
  domain with a chosen colour (:func:`xdomain.explore.render_drawing`).

Without the dataset (an empty data root) the gallery shows the loader's message saying how to
get it, and uploads and drawings keep working.
"""
from __future__ import annotations

import logging
import re
import threading
from typing import Any, Callable

import gradio as gr
import numpy as np

from ui import common, selector
from ui.lazy import lazy
from xdomain import explore
from xdomain.explore import faces
from xdomain.data import sources

torch = lazy("torch")
face = lazy("xdomain.face")
judges = lazy("xdomain.judges")
domains = lazy("xdomain.data.domains")
imageio = lazy("xdomain.imageio")

DISPLAY_SCALE = 4  # 32×32 model images are shown as crisp 128×128 squares
GALLERY_SIZE = 24
DEFAULT_COLOUR = "#ff9500"
DRAW_CANVAS = 280  # the sketchpad's size in pixels (10× MNIST's 28)
START_CANDIDATES = 50  # a default test image is chosen among the first 50 (+1)
FAITHFUL_PROB = 0.999  # the judge must read the translation as the input's label this confidently
FAITHFUL_INK = 1.25  # ... and (grey digits) it may not have 25% more bright pixels than the input (a blob)

log = logging.getLogger("xdomain.ui")


# ----------------------------------------------------------------------------- display

def read_upload(mdl, file: str) -> torch.Tensor:
    """An uploaded image file as ``mdl``'s input [1, C, S, S] in [−1, 1]: for a face model the photo goes
    through the Face tab's pipeline (the face detected and cropped like CelebA, the centre square when none
    is found; a ``gr.Info`` says which), otherwise it is centre-cropped and resized."""
    if faces.is_face_model(mdl):
        found = face.face_crop(file, use_whole_image=True, size=mdl.image_size)
        gr.Info(found.message)
        return imageio.to_tensor(found.image, mdl.image_size, mdl.channels)
    return imageio.to_tensor(imageio.open_image(file), mdl.image_size, mdl.channels)


def show(x: torch.Tensor) -> np.ndarray:
    """One model image ``[C,H,W]``/``[1,C,H,W]`` in ``[-1,1]`` → enlarged uint8 ``[H,W,3]`` for display."""
    return common.to_uint8(explore.upscale(x, DISPLAY_SCALE)[0])


def show_grid(x: torch.Tensor, nrow: int) -> np.ndarray:
    """``[N,C,H,W]`` → one enlarged grid image."""
    return common.grid(explore.upscale(x, DISPLAY_SCALE), nrow=nrow, pad=DISPLAY_SCALE)


def read(m, image: np.ndarray | None, what: str = "input image") -> torch.Tensor:
    """A displayed (or API-given) image → the model's ``[1, C, H, W]`` input in ``[-1, 1]``."""
    if image is None:
        raise ValueError(f"No {what} yet: pick a test image, upload one or draw a digit.")
    return explore.from_uint8_hwc(image, m.image_size, m.channels)


def resolve_side(value: str, role: str = "source") -> str:
    """A side radio value ("A"/"B") as is; a direction ("a2b") → its source or target side."""
    if value in explore.SIDES:
        return value
    src, dst = explore.direction_sides(value)
    return src if role == "source" else dst


# ----------------------------------------------------------------------------- test split
def test_split(m) -> dict:
    """The model's test split (cached); raises ``DatasetMissingError`` saying how to get it."""
    dataset, seed, size = selector.dataset_of(m)
    return explore.test_domains(dataset, seed, size=size)


def test_image(m, side: str, index: int) -> torch.Tensor:
    """Test image ``index`` of ``side``: ``[1, C, H, W]``."""
    x = test_split(m)[explore.check_side(side)]
    index = int(index)
    if not 0 <= index < len(x):
        raise ValueError(f"Test index must be between 0 and {len(x) - 1}, got {index}.")
    return x[index:index + 1]


def gallery_items(m, side: str, n: int = GALLERY_SIZE) -> tuple[list[tuple[np.ndarray, str]], str]:
    """(items for ``gr.Gallery``, a note). Without the dataset: no items and the loader's message."""
    try:
        data = test_split(m)
    except (sources.DatasetMissingError, KeyError) as e:
        fetch = " Or press *Download* to fetch it with torchvision." if getattr(e, "name", None) in sources.FETCHERS else ""
        return [], f"**Test images unavailable** — {str(e).strip(chr(39))}. Upload an image or draw a digit instead.{fetch}"
    x, labels = data[side][:n], data.get(f"label_{side}")
    name = m.domain_names["AB".index(side)]
    items = [(show(x[i]), f"#{i}" + (f" · {int(labels[i])}" if labels is not None else "")) for i in range(len(x))]
    return items, f"First {len(x)} of {len(data[side]):,} {name} test images: click one, or type any index and press *Load*."


# ----------------------------------------------------------------------------- default test images
Start = Callable[[Any, str], int]  # (model, side "A"/"B") → the test index a picker opens on
_starts: dict[tuple, int] = {}
_starts_lock = threading.Lock()


def _cached_start(kind: str, m, side: str, compute: Callable[[], int], fallback: int) -> int:
    """``compute()`` once per (kind, model, side, data root); ``fallback`` when it cannot run (no
    dataset, no judge, ...): a default image must never stop a tab from building."""
    key = (kind, id(m), side, str(sources.resolve_root()))
    with _starts_lock:
        if key in _starts:
            return _starts[key]
    try:
        with torch.no_grad():
            index = int(compute())
    except (sources.DatasetMissingError, KeyError, ValueError, OSError) as e:
        log.info("no %s default image for this model: %s", kind, e)
        return fallback
    except Exception:  # noqa: BLE001 - a failed choice of example falls back to the plain default
        log.exception("choosing the %s default image failed", kind)
        return fallback
    with _starts_lock:
        _starts[key] = index
    return index


def faithful_start(m, side: str) -> int:
    """Where a plain one-way translator's source picker opens: the first of the first 51 test images
    whose translation the dataset's judge confidently reads as the input's label (USPS → MNIST's
    image 0 becomes a blob); 0 for every other model, or without a judge, labels or dataset."""
    if m.two_way or explore.exclusive_dim(m):
        return 0
    directions = [d for d in m.directions if explore.direction_sides(d)[0] == side]
    judge_name = domains.dataset_info(selector.dataset_of(m)[0]).judge
    if not directions or not judge_name:
        return 0

    def compute() -> int:
        data = test_split(m)
        labels = data.get(f"label_{side}")
        judge = judges.load_judge(judge_name)
        if labels is None or judge is None:
            return 0
        n = START_CANDIDATES + 1
        i = explore.faithful_index(m, data[side][:n], labels[:n], judge, directions[0], min_prob=FAITHFUL_PROB,
                                   max_ink_ratio=FAITHFUL_INK if m.channels == 1 else None)
        return 0 if i is None else i

    return _cached_start("faithful", m, side, compute, 0)


def contrasting_start(m, side: str) -> int:
    """Where the second image of an interpolation opens: among test images 1..50, the one whose
    exclusive code (colour) changes image 0 most on both sides — so the default frames differ."""
    if not explore.exclusive_dim(m):
        return 1

    def compute() -> int:
        data = test_split(m)
        return explore.contrasting_index(m, {s: data[s] for s in explore.SIDES}, ref=0, n=START_CANDIDATES)

    return _cached_start("contrasting", m, side, compute, 1)


# ----------------------------------------------------------------------------- drawings
def parse_colour(value: str | None) -> tuple[float, float, float]:
    """``"#rrggbb"``, ``"#rgb"``, ``"rgb(r, g, b)"`` or ``"rgba(r, g, b, a)"`` → floats in ``[0, 1]``."""
    v = (value or "").strip().lower()
    if re.fullmatch(r"#[0-9a-f]{3}", v):
        v = "#" + "".join(c * 2 for c in v[1:])
    if re.fullmatch(r"#[0-9a-f]{6}([0-9a-f]{2})?", v):
        return tuple(int(v[i:i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]
    m = re.fullmatch(r"rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(,\s*[\d.]+\s*)?\)", v)
    if m:
        return tuple(min(255.0, float(g)) / 255 for g in m.groups()[:3])  # type: ignore[return-value]
    raise ValueError(f"Not a colour: {value!r} (use #rrggbb).")


def _luminance(a: np.ndarray) -> np.ndarray:
    """uint8 ``[H,W]``/``[H,W,3|4]`` → ``[H,W]`` in ``[0,1]``; transparent pixels count as black."""
    a = np.asarray(a, dtype=np.float32) / 255.0
    if a.ndim == 2:
        return a
    lum = a[..., :3].mean(-1) if a.shape[-1] >= 3 else a[..., 0]
    return lum * a[..., 3] if a.shape[-1] == 4 else lum


def ink_from_sketch(sketch: Any) -> np.ndarray:
    """A ``gr.Sketchpad`` value (or a plain image) → stroke intensity ``[H, W]`` in ``[0, 1]``.

    Strokes are read from the drawn layers' alpha, whatever the brush colour; a flattened image
    is read by brightness and inverted when its border is light (dark ink on paper).
    """
    if sketch is None:
        raise ValueError("Draw a digit first.")
    layers = [l for l in (sketch.get("layers") or []) if l is not None] if isinstance(sketch, dict) else []
    layers = [np.asarray(l) for l in layers]
    if layers and all(l.ndim == 3 and l.shape[-1] == 4 for l in layers):
        return np.max([l[..., 3].astype(np.float32) / 255.0 for l in layers], axis=0)
    flat = sketch.get("composite") if isinstance(sketch, dict) else sketch
    if flat is None and isinstance(sketch, dict):
        flat = sketch.get("background")
    if flat is None:
        raise ValueError("Draw a digit first.")
    lum = _luminance(np.asarray(flat))
    border = np.concatenate([lum[0], lum[-1], lum[:, 0], lum[:, -1]])
    return 1.0 - lum if np.median(border) > 0.5 else lum


def blank_canvas() -> dict:
    """A black sketchpad background, so a white brush draws like MNIST."""
    return {"background": np.zeros((DRAW_CANVAS, DRAW_CANVAS, 4), np.uint8) + np.array([0, 0, 0, 255], np.uint8),
            "layers": [], "composite": None}


# ----------------------------------------------------------------------------- the picker
class ImagePicker:
    """Test image / upload / drawing → one image component (``self.image``) other handlers read.

    ``side`` is a side radio ("A"/"B") or a direction radio ("a2b"/"b2a"; ``role`` says whether
    this picker wants its source or target side). ``prefix`` names the API endpoints
    (``{prefix}_select``, ``{prefix}_test``, ``{prefix}_upload``, ``{prefix}_draw``,
    ``{prefix}_gallery``, ``{prefix}_model``, ``{prefix}_fetch``) and, with ``_`` → ``-``, the elem_ids (``{id}-image``, ``{id}-gallery``,
    ``{id}-index``, ``{id}-load``, ``{id}-upload``, ``{id}-sketch``, ``{id}-colour``, ``{id}-draw``).

    ``start`` (e.g. :func:`faithful_start`) picks the test index the picker opens on for a model
    and side, at build time and whenever another model is picked (``{prefix}_model``); without it
    the picker opens on ``index`` and keeps its index across models. Another domain keeps the index
    (``{prefix}_gallery``: image ``i`` of MNIST-CD and of MNIST-CB show the same digit).
    """

    @property
    def initial(self) -> np.ndarray | None:
        """The first image shown (raw array, for a tab's own first paint; computed once, on first use)."""
        return self._first()[2]

    def __init__(self, prefix: str, label: str, sel: selector.Selected, side: gr.components.Component,
                 role: str = "source", index: int | None = 0, draw: bool = True, start: Start | None = None):
        eid = prefix.replace("_", "-")
        side0 = resolve_side(side.value, role)

        def first() -> tuple[list, str, np.ndarray | None, int, Any]:
            """The picker's first paint (gallery, note, image, index, fetch button): made when a page opens
            (or by the warm-up after the server starts), not while the app is built."""
            m = selector.model(sel.name)
            items, note = gallery_items(m, side0)
            i = index or 0
            if items and index is not None and start is not None:
                i = start(m, side0)
            image = show(test_image(m, side0, i)) if items and index is not None else None
            return items, note, image, i, gr.update(visible=not items)

        with gr.Group():
            self.image = gr.Image(label=label, type="numpy", image_mode="RGB", format="png",
                                  interactive=False, height=160, elem_id=f"{eid}-image", buttons=["download"])
            with gr.Tabs():
                with gr.Tab("Test set"):
                    self.note = gr.Markdown(elem_id=f"{eid}-note")
                    self.gallery = gr.Gallery(columns=8, height=200, allow_preview=False, format="png",
                                              show_label=False, elem_id=f"{eid}-gallery", object_fit="contain")
                    with gr.Row():
                        self.index = gr.Number(value=index or 0, precision=0, minimum=0, label="Test index",
                                               elem_id=f"{eid}-index", scale=2)
                        load = gr.Button("Load", elem_id=f"{eid}-load", scale=1)
                    fetch = gr.Button("Download the dataset", elem_id=f"{eid}-fetch", visible=False)
                with gr.Tab("Upload"):
                    self.file = gr.File(file_types=["image"], type="filepath", label="Image file (PNG, JPEG, …)",
                                        elem_id=f"{eid}-upload", height=120)
                if draw:
                    with gr.Tab("Draw"):
                        self.sketch = gr.Sketchpad(value=blank_canvas(), type="numpy", image_mode="RGBA",
                                                   canvas_size=(DRAW_CANVAS, DRAW_CANVAS), height=300, format="png",
                                                   brush=gr.Brush(colors=["#ffffff"], default_color="#ffffff",
                                                                  color_mode="fixed", default_size=20),
                                                   label="Draw a digit (white on black)", elem_id=f"{eid}-sketch")
                        with gr.Row():
                            self.colour = gr.ColorPicker(value=DEFAULT_COLOUR, label="Colour in the domain",
                                                         elem_id=f"{eid}-colour")
                            use = gr.Button("Use drawing", elem_id=f"{eid}-draw")

        self._first = common.page_default(prefix, first, [self.gallery, self.note, self.image, self.index, fetch])

        @common.friendly
        def pick_select(model_name: str, side_value: str, evt: gr.SelectData) -> tuple[int, np.ndarray]:
            """Gallery click → (its test index, the image)."""
            i = int(evt.index)
            return i, show(test_image(selector.model(model_name), resolve_side(side_value, role), i))

        @common.friendly
        def pick_test(model_name: str, side_value: str, index: float) -> np.ndarray:
            """Test image ``index`` of the picker's domain (32×32, shown enlarged)."""
            return show(test_image(selector.model(model_name), resolve_side(side_value, role), int(index or 0)))

        @common.friendly
        def pick_upload(model_name: str, file: str | None) -> np.ndarray:
            """An uploaded image file, centre-cropped and resized to the model's input size (over 20 MB:
            a message naming the file's size and the limit); for a face model, the photo's face found and
            cropped as in the Face tab (the centre square when none is found, with a note saying so)."""
            file = common.check_upload(file, "image file")
            return show(read_upload(selector.model(model_name), file))

        @common.friendly
        def pick_draw(model_name: str, side_value: str, sketch: dict | None, colour: str) -> np.ndarray:
            """A drawn digit, normalised like MNIST and rendered into the domain with ``colour``."""
            mdl = selector.model(model_name)
            dataset, _, _ = selector.dataset_of(mdl)
            x = explore.render_drawing(ink_from_sketch(sketch), dataset, resolve_side(side_value, role),
                                       parse_colour(colour), size=mdl.image_size)
            return show(x)

        @common.friendly
        def refresh(model_name: str, side_value: str, index: float) -> tuple[list, str, Any]:
            """New domain or model → its gallery, and the same test index in the new domain."""
            mdl = selector.model(model_name)
            s = resolve_side(side_value, role)
            got, msg = gallery_items(mdl, s)
            img = show(test_image(mdl, s, int(index or 0))) if got else gr.skip()
            return got, msg, img

        @common.friendly
        def refresh_model(model_name: str, side_value: str, index: float) -> tuple[list, str, Any, Any]:
            """Another model picked → its gallery, and the test image it opens on (``start``; else the
            same index), with that index."""
            mdl = selector.model(model_name)
            if side_value in explore.DIRECTIONS and side_value not in mdl.directions:
                side_value = mdl.directions[0]  # the header resets the direction radio to this one
            s = resolve_side(side_value, role)
            got, msg = gallery_items(mdl, s)
            if not got:
                return got, msg, gr.skip(), gr.skip()
            i = start(mdl, s) if start is not None else int(index or 0)
            return got, msg, show(test_image(mdl, s, i)), i

        @common.friendly
        def fetch_data(model_name: str, side_value: str) -> tuple[list, str, Any]:
            """Download the missing dataset with its real loader (needs internet), then show the gallery."""
            mdl = selector.model(model_name)
            try:
                test_split(mdl)
            except sources.DatasetMissingError as e:
                if e.name not in sources.FETCHERS:
                    raise
                sources.FETCHERS[e.name](sources.resolve_root())
            got, msg = gallery_items(mdl, resolve_side(side_value, role))
            return got, msg, gr.update(visible=not got)

        fetch.click(fetch_data, [sel.dropdown, side], [self.gallery, self.note, fetch], api_name=f"{prefix}_fetch")
        self.gallery.select(pick_select, [sel.dropdown, side], [self.index, self.image], api_name=f"{prefix}_select")
        gr.on([load.click, self.index.submit], pick_test, [sel.dropdown, side, self.index], self.image,
              api_name=f"{prefix}_test")
        # no progress overlay: a refused upload (too large, not an image) leaves the current image in place,
        # not a bare "Error" badge over an empty box; its message stays in a toast until closed
        self.file.upload(pick_upload, [sel.dropdown, self.file], self.image, api_name=f"{prefix}_upload",
                         show_progress="hidden")
        if draw:
            use.click(pick_draw, [sel.dropdown, side, self.sketch, self.colour], self.image, api_name=f"{prefix}_draw")
        side.change(refresh, [sel.dropdown, side, self.index], [self.gallery, self.note, self.image],
                    api_name=f"{prefix}_gallery")
        sel.dropdown.change(refresh_model, [sel.dropdown, side, self.index],
                            [self.gallery, self.note, self.image, self.index], api_name=f"{prefix}_model")
