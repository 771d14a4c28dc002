"""Record what every committed checkpoint outputs on fixed inputs (run once, before a refactor).

    python tests/golden/make_golden.py        # writes tests/golden/outputs.json

The test ``tests/test_golden.py`` recomputes the same outputs through the package's current API and
asserts the bytes are identical: a refactor must not change what a user sees.
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


def digest(t: torch.Tensor) -> str:
    return hashlib.sha256(t.detach().float().cpu().contiguous().numpy().tobytes()).hexdigest()


def main() -> None:
    from xdomain import hub, registry

    torch.set_num_threads(1)
    out = {}
    for name, spec in registry.CHECKPOINTS.items():
        if not spec.local_dir.is_dir() or not (spec.local_dir / "model.safetensors").is_file():
            continue
        m = hub.load_model(name)
        if spec.method == "classifier":
            x = fixed_input("image", m.cfg.image_size, m.cfg.channels)
            with torch.no_grad():
                out[name] = {"logits": digest(m(x))}
            continue
        kind = "points" if spec.method == "toy2d" else "image"
        size = getattr(m, "image_size", 0) or 0
        ch = getattr(m, "channels", None) or getattr(m.cfg, "channels", 3)
        x = fixed_input(kind, size, ch)
        two_way = hasattr(m, "decode") or "G_BA" in getattr(getattr(m, "spec", None), "nets", ())
        dirs = getattr(m, "directions", None) or (("a2b", "b2a") if two_way else ("a2b",))
        rec = {}
        for d in dirs:
            with torch.no_grad():
                rec[d] = digest(m.translate(x, d, seed=0))
        out[name] = rec
    (HERE / "outputs.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(out)} checkpoints")


if __name__ == "__main__":
    main()
