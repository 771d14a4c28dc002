"""A DiscoGAN checkpoint's gallery on test images: rows x_A, G_AB(x_A), G_BA(G_AB(x_A)), then the
same from domain B (first ``n`` test images of each domain, identity-disjoint for CelebA).

    python -m experiments.discogan_gallery discogan-celeba-male docs/discogan_male_female.png [--n 10]
"""
from __future__ import annotations

import argparse

import torch
from torchvision.utils import save_image

from xdomain import hub
from xdomain.data import resolve_root


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint")
    p.add_argument("output")
    p.add_argument("--n", type=int, default=10)
    a = p.parse_args()
    m = hub.load_model(a.checkpoint).eval()
    data = m.load_data(m.cfg, resolve_root(None), "test").tensors
    rows = []
    with torch.no_grad():
        for side, direction in (("A", "a2b"), ("B", "b2a")):
            if direction in m.directions:
                rows += m.round_trips(data[side][:a.n], direction, 1)
    save_image(torch.cat(rows) * 0.5 + 0.5, a.output, nrow=a.n)
    print(f"wrote {a.output}")


if __name__ == "__main__":
    main()
