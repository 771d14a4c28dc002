"""Shared UI plumbing: the cached model loader, friendly errors, image conversions.

Every handler turns failures into ``gr.Error``/markdown messages a person can act on — never a
stack trace. Models load lazily, once, and are cached; one broken checkpoint only disables the
controls that need it.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import gradio as gr
import numpy as np

from ui.lazy import lazy
from xdomain import hub, registry

torch = lazy("torch")  # imported by the first handler or the warm-up, not while the app is built
F = lazy("torch.nn.functional")
imageio = lazy("xdomain.imageio")

log = logging.getLogger("xdomain.ui")
_lock = threading.Lock()
_models: dict[str, Any] = {}


def install_atomic_image_cache() -> None:
    """Make Gradio's image cache safe under concurrent identical outputs (idempotent).

    Gradio 6.31's ``processing_utils.save_pil_to_cache`` names a cached image by the hash of its bytes
    and rewrites that file in place (truncate, then write) every time the same image is produced. When
    several clients get the same output at once — 16 people sending the same example photo — one request
    truncates the file while another is streaming it, and the download fails ("peer closed connection
    without sending complete message body"; the server logs "Too little data for declared Content-Length").
    Here an existing copy is reused and a new one is written under a temporary name, then renamed into
    place, as Gradio already does for files (``save_file_to_cache``). PNGs are compressed at level 1."""
    import os
    import tempfile
    from pathlib import Path

    from gradio import processing_utils as pu

    if getattr(pu.save_pil_to_cache, "_xdomain_atomic", False):
        return

    def encode(img, format: str) -> bytes:
        """PNG at zlib level 1: a served image is read once over loopback, so encoding time matters and
        size hardly does (a 256×256 enlarged face: 47 ms at Pillow's default level, ~4 ms at level 1)."""
        if format.lower() != "png":
            return pu.encode_pil_to_bytes(img, format)
        import io

        with io.BytesIO() as out:
            img.save(out, "png", pnginfo=pu.get_pil_metadata(img), compress_level=1)
            return out.getvalue()

    def save_pil_to_cache(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:
        data = encode(img, format)
        folder = Path(cache_dir) / pu.hash_bytes(data)
        folder.mkdir(exist_ok=True, parents=True)
        path = (folder / f"{name}.{format}").resolve()
        if not path.exists():
            fd, staging = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(staging, path)
        return str(path)

    save_pil_to_cache._xdomain_atomic = True  # type: ignore[attr-defined]
    pu.save_pil_to_cache = save_pil_to_cache


def on_page_load(fn: Callable, inputs, outputs, **kw) -> None:
    """Run ``fn`` when a visitor's page opens (``Blocks.load`` of the app being built), so a tab can open
    on a result without computing it while the app starts."""
    from gradio.context import Context

    root = Context.root_block
    if root is None:
        raise RuntimeError("on_page_load must be called while building a gr.Blocks")
    root.load(fn, inputs, outputs, **kw)


_WARM: list[tuple[str, Callable, bool]] = []  # (name, zero-argument function, early) run once the server is up


def after_start(name: str, fn: Callable, early: bool = False) -> None:
    """Register ``fn()`` to run in the background once the app is serving (``warm_all``): caches the first
    queries need (feature indexes, imports such as torch._dynamo) are built without delaying the first page.

    ``early``: run right after the opening tab's paint, before the other tabs' paints — for work that is slow
    and would otherwise finish last (the retrieval index: ~3.5 s; queued behind every tab's paint it was ready
    ~10 s after the first page). A thread of its own beside the paints was tried and was slower still (7.6 s
    for the index alone, competing for the two cores)."""
    _WARM.append((name, fn, early))


def page_default(name: str, fn: Callable[[], Any], outputs, enable: tuple = ()) -> Callable[[], Any]:
    """A tab's first paint: ``fn()`` (no inputs; the defaults do not depend on the visitor) fills ``outputs``
    when a page opens, computed once and reused (thread-safe). It is also warmed after the server starts, so
    building the app never waits for test sets, models or renders. Returns the memoised function.

    ``enable``: buttons built with ``interactive=False`` that the first paint switches on, so nobody can run
    a tab's action on inputs that are not painted yet."""
    lock, memo = threading.Lock(), []
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]

    def first_paint():
        with lock:
            if not memo:
                with torch.no_grad():
                    memo.append(fn())
            return memo[0]

    def paint():
        # a fresh copy of every update dict: Gradio's postprocessing pops "value" out of the dicts it is given,
        # so handing out the memoised ones would leave every later visitor's controls at their build defaults
        out = [dict(o) if isinstance(o, dict) else o for o in (first_paint() if len(outputs) > 1 else [first_paint()])]
        out += [gr.update(interactive=True) for _ in enable]
        return tuple(out) if len(out) > 1 else out[0]

    paint.__name__ = f"{PAINT_PREFIX}{name}"
    on_page_load(paint, None, [*outputs, *enable], show_progress="minimal", concurrency_id=f"paint-{name}",
                 concurrency_limit=1)
    after_start(name, first_paint)
    return first_paint


PAINT_PREFIX = "first_paint_"  # the name of every page paint's event function (page_default)


def serialize_with_paints(demo: gr.Blocks) -> dict[str, list[str]]:
    """Make every queued event that writes a component some page paint also writes run in that paint's
    concurrency group, one event at a time, in arrival order (Gradio's queue is FIFO per group).

    Why: a page paint can take seconds on a cold server (test sets, models), and a visitor may change the model
    before it lands. Ran side by side, the visitor's fast event finished first and the slow paint then painted
    the *old* model's images over it (the Interpolate tab showed MNIST digits under a face model; reproduced
    with the app in-process, 2 of 6 page opens). In one group the paint, which arrived first, finishes first and
    the visitor's change is applied on top. Paints whose outputs one event shares are merged into one group.
    Unqueued events (``queue=False``) bypass the queue and cannot be ordered; they are left alone.
    Call once, after the Blocks are built and before they are served. Returns {group: [event names]}."""
    fns = list(demo.fns.values())
    paints = [f for f in fns if (f.name or "").startswith(PAINT_PREFIX)]
    parent = {p.concurrency_id: p.concurrency_id for p in paints}

    def root(g: str) -> str:
        while parent[g] != g:
            g = parent[g]
        return g

    owner = {b._id: p.concurrency_id for p in paints for b in p.outputs}
    writers = []
    for f in fns:
        if f in paints or not f.queue:
            continue
        groups = {owner[b._id] for b in f.outputs if b._id in owner}
        if groups:
            first, *rest = sorted(groups)
            for g in rest:
                parent[root(g)] = root(first)
            writers.append((f, first))
    out: dict[str, list[str]] = {}
    for f, g in [(p, p.concurrency_id) for p in paints] + writers:
        f.concurrency_id, f.concurrency_limit = root(g), 1
        out.setdefault(root(g), []).append(f.name or "fn")
    return out


def warm_order() -> list[str]:
    """The registered warm-ups' names in the order :func:`warm_all` runs them: the first registered (the
    opening tab's paint), the ``early`` ones, then the rest, each group in registration order."""
    return [w[0] for w in _ordered()]


def _ordered() -> list[tuple[str, Callable, bool]]:
    return sorted(_WARM, key=lambda w: (w is not _WARM[0], not w[2]))


def warm_all() -> threading.Thread:
    """Run the :func:`after_start` functions in one background thread, in :func:`warm_order`; failures are
    logged and left to the handlers to report."""

    def run() -> None:
        start = time.perf_counter()
        for name, fn, _ in _ordered():
            t = time.perf_counter()
            try:
                with torch.no_grad():
                    fn()
            except Exception:  # noqa: BLE001 - a warm-up is best effort
                log.exception("warm-up %s failed", name)
            else:
                log.info("warm-up %s: %.2f s (done %.2f s after the server started)", name,
                         time.perf_counter() - t, time.perf_counter() - start)

    t = threading.Thread(target=run, name="warm-all", daemon=False)
    t.start()
    return t


FILE_DIR = Path(tempfile.gettempdir()) / "xdomain-files"  # downloads the handlers write (GIFs, avatars)


def content_file(key: bytes, stem: str, ext: str, write: Callable[[Path], Any]) -> str:
    """A file under :data:`FILE_DIR` named ``stem-<digest of key>.ext``, written once by ``write(path)``
    (to a staging name, then renamed, so a concurrent reader never sees half a file): the same content
    gives the same file. ``stem`` is the caller's constant (never derived from user input)."""
    path = FILE_DIR / f"{stem}-{hashlib.sha1(key).hexdigest()[:16]}.{ext}"
    if not path.exists():
        FILE_DIR.mkdir(parents=True, exist_ok=True)
        fd, staging = tempfile.mkstemp(dir=FILE_DIR, prefix=f".{path.stem}.", suffix=f".{ext}")
        os.close(fd)
        try:
            write(Path(staging))
            os.replace(staging, path)
        except BaseException:
            Path(staging).unlink(missing_ok=True)
            raise
    return str(path)


def bytes_file(data: bytes, stem: str, ext: str) -> str:
    """``data`` as a content-addressed file (see :func:`content_file`), e.g. an avatar's PNG or SVG."""
    return content_file(data, stem, ext, lambda path: path.write_bytes(data))


def gif_file(frames: torch.Tensor, stem: str) -> str:
    """``frames`` (``[N, C, H, W]``, or ``[R, N, C, H, W]`` played side by side) as a looping GIF named by
    ``stem`` and a digest of the frames' pixels: the same frames give the same file, written once."""
    from xdomain import explore

    return content_file(explore.to_uint8_hwc(frames).tobytes(), stem, "gif",
                        lambda path: explore.write_gif(frames, path))


def load_once(key: str, load: Callable[[], Any]) -> Any:
    """``load()`` once per process for ``key`` (thread-safe), then the cached result. A failure is not
    cached: a checkpoint that lands later is picked up without a restart."""
    with _lock:
        if key not in _models:
            # never as inference tensors (a caller may be in inference mode): CoGAN's encode/translate invert
            # its generator with autograd through the weights
            with torch.inference_mode(False):
                _models[key] = load()
        return _models[key]


def load_model(name: str):
    """Load a registered checkpoint once (thread-safe) and cache it; raises ``gr.Error`` on failure."""
    try:
        return load_once(name, lambda: hub.load_model(name, device="cpu"))
    except (hub.CheckpointError, KeyError) as e:
        raise gr.Error(f"Model '{name}' is not available: {e}") from None


class ModelView:
    """A checkpoint as the pages describe it while the app is built, from its ``config.json`` alone (no torch,
    no weights): the translator contract's facts (``hub.FACT_KEYS``: domain names, directions, latent kind,
    code size, image size …), ``cfg`` (the stored config as a namespace, to read) and ``checkpoint_meta``
    (its metrics). Any other attribute loads the model (:func:`load_model`) and is read there."""

    def __init__(self, name: str, meta: dict) -> None:
        self.name, self.checkpoint_meta = name, meta
        self.cfg = SimpleNamespace(**meta["config"])

    def __getattr__(self, attr: str):
        facts = self.__dict__["checkpoint_meta"].get("facts") or {}
        if attr in facts:
            value = facts[attr]
            return tuple(value) if isinstance(value, list) else value
        return getattr(load_model(self.__dict__["name"]), attr)


def model_view(name: str):
    """:class:`ModelView` of a checkpoint that stores its facts; else (an older checkpoint) the loaded model.
    A missing or unreadable checkpoint raises :func:`load_model`'s ``gr.Error``."""
    try:
        meta = hub.read_meta(hub.resolve(name, allow_download=False))
    except (hub.CheckpointError, KeyError):
        return load_model(name)
    if not meta.get("facts"):
        return load_model(name)
    return ModelView(name, meta)


def checkpoint_status(name: str) -> str | None:
    """None when the checkpoint is available locally/in the cache, else a short explanation."""
    try:
        spec = registry.get_checkpoint(name)
    except KeyError as e:
        return str(e)
    try:
        hub.resolve(spec.name, allow_download=False)
        return None
    except hub.CheckpointError:
        return (f"The checkpoint **{name}** has not landed yet (no folder `checkpoints/{name}`). "
                f"Train it with `python -m xdomain train {spec.method}` or publish it to the Hub as `{spec.hub_repo_id}`.")


@contextlib.contextmanager
def _as_gr_errors(name: str):
    """Known problems → ``gr.Error`` with a plain message; anything else is logged."""
    try:
        yield
    except gr.Error:
        raise
    except (imageio.ImageInputError, hub.CheckpointError, FileNotFoundError, KeyError, ValueError) as e:
        raise gr.Error(str(e).strip("'\"")) from None
    except Exception:  # noqa: BLE001 - the UI must never show a traceback
        log.exception("handler %s failed", name)
        raise gr.Error("Something went wrong while processing this request; see the server log.") from None


def check_upload(path: str | None, what: str = "file") -> str:
    """An upload handler's first line: the uploaded file's path, or a ``gr.Error`` that stays on screen
    until closed when there is no file or it is over the app's 20 MB limit ("This file is too large:
    31 MB; the limit is 20 MB. …"). Call it before loading a model or decoding the image.

    Gradio's own cap (``app.MAX_UPLOAD``, passed to ``launch(max_file_size=...)``) is far above
    this limit on purpose: over Gradio's cap the browser refuses the file itself, with a toast that
    vanishes and a bare red "Error" on the component, and gradio_client refuses it before sending."""
    if not path:
        raise gr.Error(f"No {what} was uploaded.")
    try:
        imageio.check_file_size(path)
    except imageio.ImageInputError as e:
        raise gr.Error(str(e), duration=None, print_exception=False) from None
    return path


def friendly(fn: Callable) -> Callable:
    """Decorator for handlers: known problems → ``gr.Error`` with a plain message; others logged.

    Generator (streaming) handlers stay generators, so Gradio still streams them; they run without
    gradient tracking switched off because they may train (and each ``next`` can run on a different thread).
    """
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            with _as_gr_errors(fn.__name__):
                yield from fn(*args, **kwargs)

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _as_gr_errors(fn.__name__), torch.no_grad():  # not inference mode: CoGAN inverts with autograd
            return fn(*args, **kwargs)

    return wrapper


def to_uint8(t: torch.Tensor) -> np.ndarray:
    """[C,H,W] or [B,C,H,W] in [-1,1] → HWC (or BHWC) uint8 for display; grey becomes 3 equal channels."""
    t = ((t.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    if t.shape[-3] == 1:  # browsers and PIL want RGB, not [H, W, 1]
        t = t.expand(*t.shape[:-3], 3, *t.shape[-2:])
    return t.permute(*range(t.ndim - 3), -2, -1, -3).numpy()


def grid(images: torch.Tensor, nrow: int, pad: int = 2) -> np.ndarray:
    """[B,C,H,W] in [-1,1] → one uint8 HWC grid image (torchvision's make_grid)."""
    from torchvision.utils import make_grid

    g = make_grid(images.detach().float().cpu().clamp(-1, 1), nrow=nrow, padding=pad, normalize=True, value_range=(-1, 1), pad_value=1.0)
    return (g.mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy())


def labelled_strip(images: list[torch.Tensor], labels: list[str], scale: int = 2, pad: int = 4,
                   ncol: int | None = None) -> np.ndarray:
    """Images ``[C,H,W]``/``[1,C,H,W]`` in [-1,1] side by side, enlarged ×``scale`` (nearest), each
    captioned underneath → one uint8 HWC image (round-trip strips, variants, sequences); with ``ncol``,
    rows of ``ncol`` tiles (retrieval's top 10 as one image: one download instead of ten)."""
    from PIL import Image, ImageDraw, ImageFont

    tiles = [Image.fromarray(to_uint8(F.interpolate(x.reshape(-1, *x.shape[-3:])[:1].float(), scale_factor=scale)[0]))
             for x in images]
    w, h = max(t.width for t in tiles), max(t.height for t in tiles)
    size = min(16, 5 * scale + 4)
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", size=size)  # has "→"; PIL searches the system font folders
    except OSError:
        font = ImageFont.load_default(size=size)
        labels = [label.replace("→", "->") for label in labels]
    caption = size + 10 + (size + 2) * max(label.count("\n") for label in labels)  # multi-line captions
    ncol = ncol or len(tiles)
    nrow = -(-len(tiles) // ncol)
    canvas = Image.new("RGB", (pad + ncol * (w + pad), nrow * (h + caption) + pad), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for i, (tile, label) in enumerate(zip(tiles, labels)):
        left, top = pad + (i % ncol) * (w + pad), pad + (i // ncol) * (h + caption)
        canvas.paste(tile, (left, top))
        draw.text((left + w // 2, top + h + 3), label, fill=(20, 20, 20), font=font, anchor="ma", align="center")
    return np.asarray(canvas)


def missing_panel(names: list[str]) -> bool:
    """Render a short markdown explanation for missing checkpoints; True if any is missing."""
    msgs = [m for m in (checkpoint_status(n) for n in names) if m]
    if msgs:
        gr.Markdown("\n\n".join(msgs))
    return bool(msgs)
