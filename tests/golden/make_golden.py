"""Record what every committed checkpoint outputs on fixed inputs (run once, before a refactor).

    python tests/golden/make_golden.py                 # writes tests/golden/outputs.json (every checkpoint)
    python tests/golden/make_golden.py NAME [NAME ...]  # re-records only these (a new or re-shipped checkpoint)

The test ``tests/test_golden.py`` recomputes the same outputs through the package's current API: a refactor
must not change what a user sees. Each output is stored as its SHA-256 (checked byte for byte on a machine
with the recording's CPU kernels: ``_meta``) and as a summary (shape, mean, 64 evenly spaced values) that
is compared within a tolerance anywhere else — other CPUs (AVX2 vs AVX-512) run other kernels and round
differently, so exact bytes are a property of the machine, not only of the code.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))


def fixed_input(kind: str, size: int, channels: int, n: int = 4) -> torch.Tensor:
    """Seeded inputs: uniform images in [-1, 1], or 2-D points near the toy lab's domains."""
    g = torch.Generator().manual_seed(1234)
    if kind == "points":
        return torch.randn(n, 2, generator=g) + 1.5
    return torch.rand(n, channels, size, size, generator=g) * 2 - 1


def n_inputs(model) -> int:
    """How many fixed inputs a model gets: four, or one for a 64×64 model that translates by inversion (CoGAN
    faces: 300 optimiser steps on z per image, about 40 s for four on one thread). Digit inverters keep four:
    measured under other CPU kernels (2026-12-05), one digit's z* alone moved the 64 sampled values by up to
    0.20 on average (cogan-usps-mnist b2a), past the tolerance, while the faces' moved at most 0.003."""
    return 1 if hasattr(model, "invert") and getattr(model, "image_size", 0) >= 64 else 4


def digest(t: torch.Tensor) -> str:
    return hashlib.sha256(t.detach().float().cpu().contiguous().numpy().tobytes()).hexdigest()


SAMPLES = 64


def summary(t: torch.Tensor) -> dict:
    """What the tolerance check compares: the output's shape, mean and ``SAMPLES`` evenly spaced values."""
    flat = t.detach().float().cpu().flatten()
    idx = torch.linspace(0, flat.numel() - 1, min(SAMPLES, flat.numel())).round().long()
    return {"sha256": digest(t), "shape": list(t.shape), "mean": round(flat.mean().item(), 6),
            "sample": [round(v, 6) for v in flat[idx].tolist()]}


def machine() -> dict:
    """The facts that decide whether outputs can be compared byte for byte: ATen's CPU capability is not
    enough (an AMD EPYC and the Intel recording machine both report AVX512, yet oneDNN picks other kernels
    there and every output's bytes differ), so the CPU's model name is part of it."""
    return {"cpu_capability": torch.backends.cpu.get_cpu_capability(), "cpu_model": cpu_model(),
            "torch": torch.__version__, "threads": 1}


def cpu_model() -> str:
    """The "model name" line of /proc/cpuinfo ("unknown" where there is none)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def main(only: list[str] | None = None) -> None:
    """Record every committed checkpoint, or only the ``only`` names, keeping the other entries as they are
    (allowed only when the stored entries come from a machine with the same kernels, ``_meta``)."""
    from xdomain import hub, registry

    torch.set_num_threads(1)
    path = HERE / "outputs.json"
    out: dict = {"_meta": machine()}
    if only:
        unknown = [n for n in only if n not in registry.CHECKPOINTS]
        if unknown:
            raise SystemExit(f"not registered checkpoints: {', '.join(unknown)}")
        old = json.loads(path.read_text())
        if old.get("_meta") != machine():
            raise SystemExit(f"outputs.json was recorded on {old.get('_meta')}, this machine is {machine()}: "
                             "re-record every checkpoint (no names)")
        out = old
    for name, spec in registry.CHECKPOINTS.items():
        if only and name not in only:
            continue
        if not spec.local_dir.is_dir() or not (spec.local_dir / "model.safetensors").is_file():
            out.pop(name, None)
            continue
        m = hub.load_model(name)
        if spec.method == "classifier":
            x = fixed_input("image", m.cfg.image_size, m.cfg.channels)
            with torch.no_grad():
                out[name] = {"logits": summary(m(x))}
            continue
        kind = "points" if spec.method == "toy2d" else "image"
        size = getattr(m, "image_size", 0) or 0
        ch = getattr(m, "channels", None) or getattr(m.cfg, "channels", 3)
        x = fixed_input(kind, size, ch, n_inputs(m))
        two_way = hasattr(m, "decode") or "G_BA" in getattr(getattr(m, "spec", None), "nets", ())
        dirs = getattr(m, "directions", None) or (("a2b", "b2a") if two_way else ("a2b",))
        rec = {}
        for d in dirs:
            with torch.no_grad():
                rec[d] = summary(m.translate(x, d, seed=0))
        out[name] = rec
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(only) if only else len(out) - 1} checkpoints")


if __name__ == "__main__":
    main(sys.argv[1:])
