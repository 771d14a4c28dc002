"""A test-only method for the training-loop tests, so they do not depend on any real method.

Domain A is a Gaussian blob at (-1, 0), domain B one at (+1, 0); G_AB is a small MLP and D_B a
small MLP critic trained with the non-saturating GAN loss plus a reconstruction term. The G-step
draws its input noise from torch's *global* RNG on purpose: a resumed run must still match an
uninterrupted one, which only holds if the loop makes that RNG a function of the step too.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from xdomain import registry
from xdomain.config import BaseConfig
from xdomain.losses import gan_d_loss, gan_g_loss, recon_loss
from xdomain.methods.base import Domains, Method
from xdomain.nn.blocks import mlp

NAME = "tiny-test"


@dataclass
class TinyConfig(BaseConfig):
    dataset: str = "gauss2"
    hidden: int = 16
    noise: float = 0.05
    use_recon: bool = True
    sizes: tuple[int, ...] = (2, 16, 2)
    n_points: int = 256


class TinyMethod(Method):
    Config = TinyConfig
    name = NAME
    inference_modules = ("G_AB",)

    def __init__(self, cfg: TinyConfig):
        super().__init__(cfg)
        self.G_AB = mlp([2, cfg.hidden, 2])
        self.D_B = mlp([2, cfg.hidden, 1], act="lrelu")

    @classmethod
    def tiny_config(cls) -> TinyConfig:
        return TinyConfig(steps=6, batch_size=8, ckpt_every=3, log_every=1, eval_limit=32)

    @classmethod
    def load_data(cls, cfg: TinyConfig, root, split: str) -> Domains:
        g = torch.Generator().manual_seed(cfg.seed * 10 + {"train": 0, "val": 1, "test": 2}[split])
        a = torch.randn(cfg.n_points, 2, generator=g) * 0.1 + torch.tensor([-1.0, 0.0])
        b = torch.randn(cfg.n_points, 2, generator=g) * 0.1 + torch.tensor([1.0, 0.0])
        return Domains({"A": a, "B": b})

    def configure_optimizers(self):
        c = self.cfg
        self.optimizers = {
            "G": torch.optim.Adam(self.G_AB.parameters(), c.lr, betas=(c.beta1, c.beta2)),
            "D": torch.optim.Adam(self.D_B.parameters(), c.lr, betas=(c.beta1, c.beta2)),
        }
        return self.optimizers

    def d_step(self, batch, step):
        with torch.no_grad():
            fake = self.G_AB(batch["A"])
        loss = gan_d_loss(self.D_B(batch["B"]), self.D_B(fake))
        self.optimize("D", loss)
        return {"d": loss.item()}

    def g_step(self, batch, step):
        x = batch["A"] + self.cfg.noise * torch.randn_like(batch["A"])  # global RNG on purpose
        fake = self.G_AB(x)
        loss = gan_g_loss(self.D_B(fake))
        if self.cfg.use_recon:
            loss = loss + recon_loss(batch["B"].mean(0, keepdim=True).expand_as(fake), fake)
        self.optimize("G", loss)
        return {"g": loss.item()}

    @torch.no_grad()
    def evaluate(self, root, limit=None):
        data = self.load_data(self.cfg, root, "test").tensors
        fake = self.G_AB(data["A"][:limit])
        return {"mean_x": float(fake[:, 0].mean()), "n": float(len(fake))}

    @torch.no_grad()
    def translate(self, x, direction="a2b", seed=None):
        if direction != "a2b":
            raise ValueError("tiny-test only translates a2b")
        return self.G_AB(x)

    def model_card(self) -> str:
        return "Test-only model: two 2-D Gaussian blobs."


def register() -> None:
    registry.register_method(registry.MethodSpec(NAME, f"{__name__}:TinyMethod", "none (test-only)", "test-only 2-D method"))


def unregister() -> None:
    registry.METHODS.pop(NAME, None)
