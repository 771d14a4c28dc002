"""DTN speed on this machine: training steps/s per preset, and the Face tab's latency
(face pipeline + G inference) as p50/p95 over repeated runs.

    python bench/bench_dtn.py [--threads 1] [--steps 10] [--repeats 40] [--json]

Training steps use random tensors of the preset's shapes (data loading is not timed) and the
real frozen encoder f when its checkpoint is present (else a freshly initialised one of the
same architecture — same cost). Latency uses CelebA *test* faces pasted into 640×480 and
1920×1080 photos (JPEG-encoded, as an upload would be) and the registered faces → emoji
checkpoint (or an untrained faces-preset model when it has not landed).
"""
from __future__ import annotations

import io
import json
import time

import numpy as np
import torch
from PIL import Image

from common import parse, parser, pct, time_train_steps  # bench/common.py (the script's folder is on sys.path)

from xdomain import face, hub
from xdomain.data import domains, resolve_root
from xdomain.methods.classifier import ClassifierConfig
from xdomain.methods.dtn import DTN

FACE_ENCODER = ClassifierConfig(dataset="celeba_attrs", image_size=64, channels=3, n_classes=40,
                                widths=(32, 64, 128, 256), global_pool=True, multilabel=True)
DIGIT_ENCODER = ClassifierConfig(dataset="usps_gray", global_pool=True)


def build(preset: str) -> DTN:
    cfg = DTN.preset(preset)
    try:
        cfg = DTN.resolve_config(cfg)
    except hub.CheckpointError:
        cfg = cfg.replace(encoder_config=(FACE_ENCODER if preset == "faces" else DIGIT_ENCODER).to_dict())
    return DTN(cfg)



def bench_steps(preset: str, steps: int, batch_size: int) -> dict[str, float]:
    m = build(preset)
    c = m.cfg
    bs = batch_size or c.batch_size
    shape = (c.channels, c.image_size, c.image_size)
    b = {"A": torch.rand(bs, *shape) * 2 - 1, "B": torch.rand(max(bs, c.target_batch), *shape) * 2 - 1}
    return {"batch_source": bs, "batch_target": c.target_batch or bs, **time_train_steps(m, b, steps)}


def bench_latency(repeats: int) -> dict[str, float]:
    try:
        m = hub.load_model("dtn-faces-emoji")
        which = "dtn-faces-emoji"
    except (hub.CheckpointError, KeyError):
        m, which = build("faces").eval(), "untrained faces preset"
    x, cols = domains.celeba_split(resolve_root(), "test")
    out: dict[str, float | str] = {"model": which}
    for size in ((640, 480), (1920, 1080)):
        crop_t, total_t = [], []
        for i in range(repeats):
            canvas = Image.new("RGB", size, (128, 128, 128))
            side = size[1] // 2
            canvas.paste(Image.fromarray(np.asarray(x[cols["index"][i]])).resize((side, side), Image.BICUBIC),
                         (size[0] // 3, size[1] // 4))
            buf = io.BytesIO()
            canvas.save(buf, "JPEG", quality=90)
            data = buf.getvalue()
            t0 = time.perf_counter()
            r = face.face_crop(data, use_whole_image=True)
            t1 = time.perf_counter()
            xt = torch.from_numpy(np.array(r.image)).permute(2, 0, 1)[None].float() / 127.5 - 1
            m.translate(xt)
            t2 = time.perf_counter()
            crop_t.append((t1 - t0) * 1000)
            total_t.append((t2 - t0) * 1000)
        key = f"{size[0]}x{size[1]}"
        out |= {f"pipeline_ms_p50_{key}": pct(crop_t, 50), f"pipeline_ms_p95_{key}": pct(crop_t, 95),
                f"total_ms_p50_{key}": pct(total_t, 50), f"total_ms_p95_{key}": pct(total_t, 95)}
    return out


def main() -> None:
    args = parse(parser(__doc__, steps=10, repeats=40))
    res = {"threads": args.threads, "torch": torch.__version__}
    res["digits"] = bench_steps("digits", args.steps, 32)
    res["faces"] = bench_steps("faces", args.steps, 0)
    with torch.inference_mode():
        res["face_tab_latency"] = bench_latency(args.repeats)
    print(json.dumps(res, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
