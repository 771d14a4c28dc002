"""The toy 2D experiment's config (DiscoGAN §4.1), apart from :mod:`xdomain.methods.toy2d` so the app can
show its defaults without importing torch."""
from __future__ import annotations

from dataclasses import dataclass

from xdomain.config import BaseConfig


@dataclass
class Toy2DConfig(BaseConfig):
    dataset: str = "toy2d"
    variant: str = "discogan"  # gan | gan_recon | discogan
    steps: int = 1500
    batch_size: int = 64
    lr: float = 1e-3
    log_every: int = 100
    threads: int = 1  # tiny MLPs: one thread is fastest, and two stall for seconds on a busy machine
    # domain A: n_modes_a Gaussians on a circle (or explicit centres_a)
    n_modes_a: int = 5
    a_center: tuple[float, float] = (1.5, 1.5)
    a_radius: float = 1.0
    sigma_a: float = 0.1
    centers_a: tuple[tuple[float, float], ...] = ()  # non-empty overrides the circle layout
    # domain B: n_modes_b Gaussians spread evenly along an arc (or explicit centres_b)
    n_modes_b: int = 10
    b_arc_center: tuple[float, float] = (0.0, 0.0)
    b_arc_radius: float = 3.0
    b_arc_degrees: tuple[float, float] = (5.0, 85.0)
    sigma_b: float = 0.05
    centers_b: tuple[tuple[float, float], ...] = ()
    n_train: int = 20000  # pre-sampled points per domain (seeded)
    # networks and loss
    g_hidden: int = 64
    d_hidden: int = 64
    g_last_relu: bool = False  # True = the paper's literal "ReLU after every generator layer"
    init_std: float = 0.0  # 0 = PyTorch's default init; > 0 = N(0, init_std) weights, zero biases
    recon: str = "l2"  # d(·,·) of L_CONST
    # metrics (see xdomain.metrics.toy2d)
    mode_min_frac: float = 0.02
    collision_majority: float = 0.5
