"""``python -m xdomain`` — the command-line contract other tools and checks rely on.

    list [--all] [--json]                           methods and the models the app offers (--all: every checkpoint)
    train <method> [--config F | --set preset=NAME] [--set k=v ...] [--out DIR] [--resume] [--device auto] [--data-root D]
    eval <checkpoint-name-or-dir> [--json] [--limit N] [--write]
    translate <checkpoint> --input IMG --output IMG [--direction a2b|b2a] [--seed N] [--whole-image]
                                                    face models (CelebA): the photo is cropped to the face first,
                                                    exactly as the app's Face tab does (xdomain.face)
    publish <checkpoint-dir> --repo-id ID [--revision R] [--private]
    export <run-dir> <checkpoint-dir> [--eval] [--ship-dtype float16]   a checkpoint from a run's latest state

Errors a user can fix (unknown names, missing data, bad images, corrupt checkpoints) print one
line on stderr and exit with status 2 — no traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def _cmd_list(args: argparse.Namespace) -> int:
    from xdomain import hub, registry

    methods = [{"name": m.name, "kind": m.kind, "paper": m.paper, "summary": m.summary} for m in registry.METHODS.values()]
    ckpts = [hub.describe(n) for n, c in registry.CHECKPOINTS.items() if args.all or c.offered]
    if args.json:
        print(json.dumps({"methods": methods, "checkpoints": ckpts}))
        return 0
    print("methods:")
    for m in methods:
        print(f"  {m['name']:<14} {m['kind']:<10} {m['summary']}")
    print("checkpoints:" if args.all else "models offered in the app (list --all adds baselines, ablations and judges):")
    for c in ckpts:
        where = c["path"] if c["source"] == "local" else f"hub:{c['repo_id']}@{c['revision']}"
        metrics = ", ".join(f"{k}={v:.4g}" for k, v in list(c["metrics"].items())[:4] if isinstance(v, (int, float)))
        print(f"  {c['name']:<32} {c['label'] or c['method']:<52} {where}")
        if metrics:
            print(f"  {'':<28} {metrics}")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from xdomain import registry, train
    from xdomain.config import apply_overrides, load_config_file

    cls = registry.get_method(args.method)  # resolved once; train() receives the class
    out = Path(args.out or f"runs/{args.method}")
    overrides, presets, others = list(args.set or []), [], []  # a malformed item is left to apply_overrides
    for item in overrides:
        key, eq, value = item.partition("=")
        if eq and key.strip() == "preset":
            presets.append(value.strip())
        else:
            others.append(item)
    if presets and cls.presets:  # `--set preset=NAME` starts from that preset's values
        if args.config:
            raise ValueError("give either --config or --set preset=NAME, not both (a config file already names its preset)")
        cfg, overrides = cls.preset(presets[-1]), others
    elif args.config:
        cfg = load_config_file(cls.Config, args.config)
    elif args.resume and (out / train.STATE_META).exists():
        cfg = cls.Config.from_dict(json.loads((out / train.STATE_META).read_text())["config"])
    else:
        cfg = cls.Config()
    cfg = apply_overrides(cfg, overrides)
    t0 = time.perf_counter()
    folder = train.train(cls, cfg, out, data_root=args.data_root, device=args.device,
                         resume=args.resume, evaluate=not args.no_eval, max_minutes=args.max_minutes)
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"wrote {folder} in {time.perf_counter() - t0:.1f} s")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from xdomain import hub
    from xdomain.data import resolve_root
    from xdomain.train import pick_device

    model = hub.load_model(args.checkpoint, device=pick_device(args.device))
    t0 = time.perf_counter()
    metrics = model.evaluate(resolve_root(args.data_root), limit=args.limit)
    metrics = {k: (float(v) if hasattr(v, "__float__") else v) for k, v in metrics.items()}
    dt = time.perf_counter() - t0
    if args.write:
        hub.update_metrics(model.checkpoint_dir, metrics)
        hub.update_facts(model.checkpoint_dir)  # what the app reads before loading it
    if args.json:
        print(json.dumps(metrics))
    else:
        for k, v in metrics.items():
            print(f"{k:<40} {v:.4f}" if isinstance(v, float) else f"{k:<40} {v}")
        print(f"({dt:.1f} s)")
    return 0


def is_face_model(model) -> bool:
    """Trained on CelebA crops: its input goes through the app's face pipeline (:mod:`xdomain.face`)."""
    return str(getattr(model.cfg, "dataset", "")).startswith("celeba")


def _face_input(path, whole: bool, size: int):
    """A photo → the app's face crop as [1, 3, size, size] in [-1, 1] (as ``ui/tabs/face.py`` builds it),
    or ``None`` after a one-line error when no face was found and ``--whole-image`` was not given."""
    import numpy as np
    import torch

    from xdomain import face
    from xdomain.imageio import open_image

    crop = face.face_crop(open_image(path), use_whole_image=whole, size=size)
    if crop.image is None:
        print(f"error: no face found in {Path(path).name}: try a clearer, frontal, well-lit photo, or pass "
              "--whole-image to translate the centre square of the whole photo", file=sys.stderr)
        return None
    print(crop.message)
    return torch.from_numpy(np.array(crop.image)).permute(2, 0, 1)[None].float() / 127.5 - 1


def _cmd_translate(args: argparse.Namespace) -> int:
    import torch

    from xdomain import hub, imageio

    model = hub.load_model(args.checkpoint)
    if model.kind != "translator" or model.input_kind != "image":  # a judge; the toy lab translates points
        raise ValueError(f"checkpoint {args.checkpoint} ({model.name}) does not translate images")
    if is_face_model(model):
        x = _face_input(args.input, args.whole, model.image_size)
        if x is None:
            return 2
    else:
        x = imageio.load_tensor(args.input, model.image_size, model.channels)
    with torch.no_grad():
        y = model.translate(x, direction=args.direction, seed=args.seed)
    imageio.save_png(y, args.output)
    print(f"wrote {args.output}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from xdomain import train

    folder = train.export_state(args.run_dir, args.checkpoint_dir, evaluate=args.eval, data_root=args.data_root,
                                ship_dtype=args.ship_dtype)
    print(f"wrote {folder}")
    return 0


def _cmd_publish(args: argparse.Namespace) -> int:
    from xdomain import hub

    url = hub.publish(args.checkpoint_dir, args.repo_id, revision=args.revision, private=args.private)
    print(f"published {args.checkpoint_dir} → {args.repo_id}: {url}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    prog = "xdomain" if Path(sys.argv[0]).name == "xdomain" else "python -m xdomain"  # the console script / -m
    p = argparse.ArgumentParser(prog=prog, description="Unsupervised cross-domain image translation.")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("list", help="methods and the models the app offers")
    s.add_argument("--all", action="store_true", help="every checkpoint: also baselines, ablations, snapshots, judges")
    s.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    s.set_defaults(fn=_cmd_list)

    s = sub.add_parser("train", help="train a method; writes a checkpoint folder")
    s.add_argument("method", help="a method name from `list` (toy2d, discogan, disentangle, dtn, ...)")
    s.add_argument("--config", help="JSON config file (a bare config or a checkpoint's config.json)")
    s.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")
    s.add_argument("--out", help="output folder (default runs/<method>)")
    s.add_argument("--resume", action="store_true", help="continue from <out>/train_state.safetensors")
    s.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, cuda, cuda:1 ...")
    s.add_argument("--data-root", help="datasets folder (default $XDOMAIN_DATA or ../shared/data)")
    s.add_argument("--no-eval", action="store_true", help="skip the metrics at the end")
    s.add_argument("--max-minutes", type=float, default=None,
                   help="wall-clock budget: stop after the step that reaches it and save what was trained")
    s.set_defaults(fn=_cmd_train)

    s = sub.add_parser("eval", help="recompute a checkpoint's paper metrics")
    s.add_argument("checkpoint", help="a checkpoint name from `list --all`, a checkpoint folder or a Hub repo id")
    s.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    s.add_argument("--limit", type=int, default=None, help="evaluate on the first N test samples")
    s.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, cuda, cuda:1 ...")
    s.add_argument("--data-root", help="datasets folder (default $XDOMAIN_DATA or ../shared/data)")
    s.add_argument("--write", action="store_true", help="store the metrics in the checkpoint's config.json")
    s.set_defaults(fn=_cmd_eval)

    s = sub.add_parser("translate", help="translate one image")
    s.add_argument("checkpoint", help="a checkpoint name from `list`, a checkpoint folder or a Hub repo id")
    s.add_argument("--input", required=True, metavar="IMG",
                   help="the image to translate (PNG, JPEG, ...); for face models a photo, cropped to the face as in the app")
    s.add_argument("--output", required=True, metavar="PNG", help="where to write the translated image (PNG)")
    s.add_argument("--direction", default="a2b", choices=["a2b", "b2a"],
                   help="a2b: domain A → B (default); b2a: B → A, for two-way models")
    s.add_argument("--seed", type=int, default=0, help="random seed for methods with diverse outputs (default 0)")
    s.add_argument("--whole-image", dest="whole", action="store_true",
                   help="face models: when no face is found, translate the centre square of the whole photo instead")
    s.set_defaults(fn=_cmd_translate)

    s = sub.add_parser("publish", help="upload a checkpoint folder to the Hugging Face Hub")
    s.add_argument("checkpoint_dir", help="the checkpoint folder to upload (config.json, model.safetensors, README.md)")
    s.add_argument("--repo-id", required=True, metavar="ID", help="Hub model repo, e.g. someone/discogan-faces")
    s.add_argument("--revision", default=None, help="branch to upload to (default: the repo's main branch)")
    s.add_argument("--private", action="store_true", help="create the repo as private")
    s.set_defaults(fn=_cmd_publish)

    s = sub.add_parser("export", help="write a checkpoint from a run's latest training state")
    s.add_argument("run_dir", help="a training run's folder (train --out), holding train_state.safetensors")
    s.add_argument("checkpoint_dir", help="the checkpoint folder to write")
    s.add_argument("--eval", action="store_true", help="compute the metrics too")
    s.add_argument("--data-root", help="datasets folder for --eval (default $XDOMAIN_DATA or ../shared/data)")
    s.add_argument("--ship-dtype", choices=("float32", "float16"),
                   help="store the weights in this dtype (configs with a ship_dtype field; compute stays float32)")
    s.set_defaults(fn=_cmd_export)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from xdomain.data import DatasetMissingError
    from xdomain.hub import CheckpointError
    from xdomain.imageio import ImageInputError

    try:
        return args.fn(args)
    except (CheckpointError, DatasetMissingError, ImageInputError, FileNotFoundError, KeyError, ValueError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"error: {msg}", file=sys.stderr)
        return 2
    except NotImplementedError as e:
        print(f"error: this checkpoint's method does not support '{args.cmd}'{': ' + str(e) if str(e) else ''}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
