"""The toy lab's runs as stored (``checkpoints/toy2d-runs/seed<k>.npz``): frames, metrics, summaries —
numpy only, so the app shows the committed runs without importing torch (:mod:`xdomain.toylab` trains
them and re-exports these names)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from xdomain.methods.toy2d_config import Toy2DConfig
from xdomain.registry import CHECKPOINT_DIR

METRICS = ("modes_covered", "collisions", "high_quality", "recon_error_A")
RUNS_DIR = CHECKPOINT_DIR / "toy2d-runs"  # the committed paper-preset runs, seed<k>.npz
VARIANT_TITLES = {"gan": "standard GAN", "gan_recon": "GAN + reconstruction", "discogan": "DiscoGAN"}


@dataclass
class LabRun:
    """Frames of one lab run. Arrays are indexed [variant, frame, ...]."""

    config: dict
    variants: tuple[str, ...]
    extent: tuple[float, float, float, float]
    labels: np.ndarray  # [N] A mode of each plotted point
    iters: list[int] = field(default_factory=list)  # [F]
    points: list[np.ndarray] = field(default_factory=list)  # F × [V, N, 2] float16
    fields: list[np.ndarray] = field(default_factory=list)  # F × [V, G, G] uint8, D_B(x) ∈ [0, 1] · 255
    metrics: dict[str, list[list[float]]] = field(default_factory=dict)  # name → F × [V]
    wall_s: float = 0.0

    @property
    def cfg(self) -> Toy2DConfig:
        return Toy2DConfig.from_dict(self.config)

    @property
    def n_frames(self) -> int:
        return len(self.iters)

    def metric(self, name: str) -> np.ndarray:
        """[V, F] curve of one metric (NaN where a variant has no value, e.g. recon error of "gan")."""
        return np.asarray(self.metrics[name], dtype=np.float64).T

    def final(self) -> dict[str, dict[str, float]]:
        """{variant: {metric: value}} at the last frame."""
        return {v: {m: float(self.metric(m)[i, -1]) for m in self.metrics} for i, v in enumerate(self.variants)}

    # ---------------------------------------------------------------- storage
    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"config": self.config, "variants": list(self.variants), "extent": list(self.extent),
                "iters": self.iters, "metrics": self.metrics, "wall_s": self.wall_s}
        np.savez_compressed(path, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
                            labels=self.labels.astype(np.uint8), points=np.stack(self.points).astype(np.float16),
                            fields=np.stack(self.fields))
        return path

    @classmethod
    def load(cls, path: str | Path) -> "LabRun":
        with np.load(path) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            return cls(config=meta["config"], variants=tuple(meta["variants"]), extent=tuple(meta["extent"]),
                       labels=z["labels"].astype(np.int64), iters=list(meta["iters"]), points=list(z["points"]),
                       fields=list(z["fields"]), metrics=meta["metrics"], wall_s=float(meta["wall_s"]))


def summarize(runs: Sequence[LabRun]) -> dict[str, dict[str, dict[str, float]]]:
    """{variant: {metric: {"mean", "std", "values"}}} of the final frames over runs (e.g. seeds)."""
    out: dict[str, dict[str, dict]] = {}
    for v in runs[0].variants:
        out[v] = {}
        for m in METRICS:
            vals = np.array([r.final()[v][m] for r in runs])
            if np.isnan(vals).all():
                continue
            out[v][m] = {"mean": float(vals.mean()), "std": float(vals.std()), "values": vals.tolist()}
    return out


def load_runs(folder: str | Path = RUNS_DIR) -> list[LabRun]:
    """Every ``seed*.npz`` run in ``folder``, ordered by seed ([] if the folder is missing)."""
    runs = [LabRun.load(p) for p in sorted(Path(folder).glob("seed*.npz"))]
    return sorted(runs, key=lambda r: r.cfg.seed)
