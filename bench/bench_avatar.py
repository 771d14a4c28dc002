"""What the Face tab's editable avatar costs (issue 16 bar: it adds ≤ 30 ms to the answer for a 640×480 photo).

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_avatar.py [--threads 1] [--repeats 100] [--target NAME] [--json]

``--target``: the Face tab's translation target (a value of its dropdown, e.g. ``dtn-faces-avatars``; default the
one the tab opens on).

Times the tab's handlers in-process (no HTTP; ``bench/bench_serving.py`` measures the loopback overhead),
p50 / p90 / p99 in ms:

* **(a) one 64×64 crop**: ``read`` (the reader's attribute logits + ITA), ``svg`` (parameters + DiceBear SVG
  written to its file: what the avatar panel shows), ``png`` (the 256×256 PNG download, rasterised in the
  step after), and ``read + svg``;
* **(a′) revisions 6–9** (f chooses among K seed candidates, for the styles adopted on val): ``f on the photo``
  (the chooser's features of the crop, part of ``read``), ``choose, cold`` (the K candidates rendered and
  embedded: a candidate set the bank does not hold, e.g. another variant seed), ``choose, set not met yet`` (the
  bank holds the embeddings but this process has not met the set: its K parameter sets are built to find them)
  and ``choose, after the warm-up`` (the warm-up has met every set at variant seed 0: any face, an edit, a repeat);
  each includes revision 21's choice of geometry (one render of the chosen variant, 18 resampled images, one f
  pass), timed alone for a variant not met yet as ``geometry (new variant)`` (the choices above find it remembered);
* **(b) a 640×480 photo** (a face pasted into a grey canvas, JPEG-encoded like an upload, one pixel changed
  per repeat so the face detector's cache never answers), after the avatar's warm-up as the app runs it
  (``AvatarFitter.warm``: the candidate bank from the avatar cache, built there first if absent — minutes, once
  per machine): ``face_run`` alone (without the avatar), with the
  avatar on screen (``+ avatar_read``), and with the PNG too (``+ avatar_png``); per repeat, in the same
  repeat, so "the avatar adds" is the paired difference. Every repeat counts as a new face for revision 21's
  geometry (its memo and the render cache are cleared first: the same face would otherwise find them filled).

The reader is :data:`xdomain.avatar_fit.READER` when it loads; otherwise an untrained network of
``judge-celeba-attrs``' architecture (about the same cost), and the output says so. The
photo is a CelebA test face when the data root is staged, else the bundled astronaut example. The machine's
load average is printed beside the figures: other processes skew them.
"""
from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from common import parse, parser, pct  # bench/common.py (the script's folder is on sys.path)

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # ui/ (the app's package) lives beside xdomain at the repo root


def load_fitter():
    """(fitter, which): the app's attribute reader, or an untrained network of judge-celeba-attrs' architecture."""
    from xdomain import hub
    from xdomain.avatar_fit import READER, AvatarFitter
    from xdomain.methods.classifier import Classifier, ClassifierConfig

    try:
        return AvatarFitter.load(READER), READER
    except hub.CheckpointError as e:
        cfg = ClassifierConfig(dataset="celeba_attrs", image_size=64, channels=3, n_classes=40,
                               widths=(32, 64, 128, 256), global_pool=True, multilabel=True)
        return AvatarFitter(Classifier(cfg), {}), f"untrained 40-attribute network ({e})"


def photo_jpeg(i: int) -> bytes:
    """A 640×480 photo with one face, JPEG-encoded; repeat ``i`` changes one pixel (a new photo each time)."""
    from xdomain.explore import faces

    if faces.celeba_available():
        img = Image.fromarray(faces.example_photo(0))
    else:
        img = Image.new("RGB", (640, 480), (128, 128, 128))
        img.paste(Image.open(REPO / "ui" / "examples" / "astronaut.jpg").convert("RGB").resize((300, 300)), (170, 60))
    img.putpixel((i % 640, 0), (i % 256, 0, 0))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def summary(xs: list[float]) -> dict[str, float]:
    return {f"p{q}": round(pct(xs, q), 1) for q in (50, 90, 99)}


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, (time.perf_counter() - t) * 1000


def main() -> None:
    p = parser(__doc__, repeats=100)
    p.add_argument("--target", default=None, help="the Face tab's target (a dropdown value; default the one the tab opens on)")
    args = parse(p)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from ui.tabs import face as tab
    from ui.tabs import face_avatar as panel
    from xdomain import avatar_fit, explore

    fitter, which = load_fitter()
    panel.fitter = lambda: fitter  # the panel reads with the network chosen above (its own loader is not timed)
    offered, _, targets = tab.target_choices()
    values = [t.value for t in targets]
    target = args.target or tab.default_target(offered)
    if target not in values:
        sys.exit(f"unknown --target {target!r}; the Face tab offers {', '.join(values)}")
    style, seed = panel.DEFAULT_STYLE, 0
    res: dict = {"threads": args.threads, "repeats": args.repeats, "reader": which, "target": target,
                 "style": style, "load_avg_at_start": os.getloadavg()}

    with tempfile.TemporaryDirectory() as tmp:
        photos = []
        for i in range(args.repeats + 1):
            photos.append(Path(tmp) / f"photo{i}.jpg")
            photos[-1].write_bytes(photo_jpeg(i))
        crop = tab.face_run(target, str(photos[0]), False)[1]  # the ×4 display of the 64×64 crop
        x = explore.from_uint8_hwc(crop, 64, 3)  # [1, 3, 64, 64]
        panel.avatar_read(crop, style, seed)  # warm-up: imports, DiceBear style tables, resvg

        a: dict[str, list[float]] = {"read": [], "svg": [], "png": [], "read + svg": []}
        for _ in range(args.repeats):
            with torch.no_grad():
                (reading,), t_read = timed(fitter.read, x)
            _, t_svg = timed(lambda: panel._svg(avatar_fit.params_for(reading, style, seed, chooser=fitter.chooser)))
            _, t_png = timed(panel._png, avatar_fit.params_for(reading, style, seed, chooser=fitter.chooser))
            for k, v in (("read", t_read), ("svg", t_svg), ("png", t_png), ("read + svg", t_read + t_svg)):
                a[k].append(v)
        res["a_one_crop_ms"] = {k: summary(v) for k, v in a.items()}
        if fitter.chooser is not None and style in fitter.choice_styles:
            c: dict[str, list[float]] = {"f on the photo": [], "choose, cold": [], "choose, set not met yet": [],
                                         "choose, after the warm-up": []}
            chooser = fitter.chooser
            for _ in range(args.repeats):
                _, t_f = timed(chooser.embed, x)
                chooser.forget(bank=True)
                _, t_cold = timed(chooser.choose, reading, style, seed)  # nothing cached
                chooser.forget()
                _, t_new = timed(chooser.choose, reading, style, seed)  # the bank warm, the set not met yet
                _, t_met = timed(chooser.choose, reading, style, seed)  # the set met (by the warm-up or before)
                for k, v in (("f on the photo", t_f), ("choose, cold", t_cold), ("choose, set not met yet", t_new),
                             ("choose, after the warm-up", t_met)):
                    c[k].append(v)
            if style in fitter.geometry_styles:  # revision 21, part of every choice above; here for a variant not met
                chosen = chooser.choose(reading, style, seed)
                c["geometry (new variant)"] = []
                for _ in range(args.repeats):
                    avatar_fit._render.cache_clear()
                    chooser._geometry.clear()
                    c["geometry (new variant)"].append(timed(chooser.choose_geometry, reading, style,
                                                                       chosen)[1])
            res["a_choice_ms"] = {k: summary(v) for k, v in c.items()}

        b: dict[str, list[float]] = {"face_run (no avatar)": [], "+ avatar_read (avatar on screen)": [],
                                     "+ avatar_png (PNG download ready)": [], "avatar adds (on screen)": [],
                                     "avatar adds (with PNG)": []}
        res["warm_up_s"] = round(timed(fitter.warm)[1] / 1000, 1)  # as the app's warm-up thread does
        for i in range(args.repeats):
            if fitter.chooser is not None:  # every repeat as a new face: its variant's geometries not met (revision 21)
                fitter.chooser._geometry.clear()
                avatar_fit._render.cache_clear()
            out, t_face = timed(tab.face_run, target, str(photos[i + 1]), False)
            read_out, t_avatar = timed(panel.avatar_read, out[1], style, seed)
            controls = [c["value"] if isinstance(c, dict) else c for c in read_out[1:1 + panel.N_CONTROLS]]
            _, t_png = timed(panel.avatar_png, read_out[0], style, *controls, seed)
            for k, v in zip(b, (t_face, t_face + t_avatar, t_face + t_avatar + t_png, t_avatar, t_avatar + t_png)):
                b[k].append(v)
        res["b_photo_640x480_ms"] = {k: summary(v) for k, v in b.items()}
    res["load_avg_at_end"] = os.getloadavg()

    if args.json:
        print(json.dumps(res))
        return
    print(f"reader: {which}\ntarget: {target}; style {style}; {args.threads} thread(s); {args.repeats} repeats; "
          f"load average {res['load_avg_at_start'][0]:.2f} → {res['load_avg_at_end'][0]:.2f}; "
          f"avatar warm-up before (b) {res['warm_up_s']} s")
    for title, rows in (("(a) one 64×64 crop", res["a_one_crop_ms"]),
                        ("(a') f chooses (revisions 6-9)", res.get("a_choice_ms", {})),
                        ("(b) 640×480 photo", res["b_photo_640x480_ms"])):
        print(f"\n{title:<36} {'p50':>7} {'p90':>7} {'p99':>7}  (ms)")
        for name, s in rows.items():
            print(f"  {name:<34} {s['p50']:7.1f} {s['p90']:7.1f} {s['p99']:7.1f}")


if __name__ == "__main__":
    main()
