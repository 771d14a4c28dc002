"""The contract every method implements, so one generic loop (:mod:`xdomain.train`) trains them all.

A method is an ``nn.Module`` built from its typed config. It declares

* ``Config``                 its dataclass (subclass of :class:`xdomain.config.BaseConfig`);
* ``inference_modules``      the sub-modules whose weights ship in ``model.safetensors``
                             (generators/encoders; discriminators stay in the training state);
* ``load_data(root, split)`` a :class:`Domains` of in-memory tensors;
* ``configure_optimizers()`` a dict of named optimizers;
* ``d_step(batch, step)`` / ``g_step(batch, step)`` one update each, returning ``{name: float}``;
* ``evaluate(root, limit)``  the paper's metrics as ``{name: float}``;
* ``translate(x, direction, seed)`` single-batch inference in ``[-1, 1]``.

Updates go through :meth:`Method.optimize`, which averages gradients across processes when
running under ``torchrun`` (gloo on CPU) — functionally what DDP does, without wrapping each
of a GAN's many sub-networks.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator

import torch
import torch.distributed as dist
from torch import nn

from xdomain.config import BaseConfig


@dataclass
class Domains:
    """In-memory training/eval data: named tensors sharing dim 0 within each domain.

    ``tensors`` maps keys such as ``"A"``, ``"B"``, ``"label_A"`` to tensors. ``groups`` says
    which keys are sampled with the same indices (paired data): e.g. ``{"A": ["A", "label_A"]}``.
    Keys not in any group form their own group. ``weights`` optionally maps a group's name to
    per-row sampling weights (drawn with replacement, proportionally); other groups draw uniformly.
    """

    tensors: dict[str, torch.Tensor]
    groups: dict[str, list[str]] = field(default_factory=dict)
    weights: dict[str, torch.Tensor] = field(default_factory=dict)

    def _groups(self) -> dict[str, list[str]]:
        seen = {k for g in self.groups.values() for k in g}
        return dict(self.groups) | {k: [k] for k in self.tensors if k not in seen}

    def sample(self, batch_size: int, gen: torch.Generator) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        for name, keys in self._groups().items():
            n = self.tensors[keys[0]].shape[0]
            if name in self.weights:
                idx = torch.multinomial(self.weights[name], batch_size, replacement=True, generator=gen)
            else:
                idx = torch.randint(0, n, (batch_size,), generator=gen)
            for k in keys:
                out[k] = self.tensors[k][idx]
        return out


@contextmanager
def frozen(*modules: nn.Module) -> Iterator[None]:
    """Inside the block the modules' weights get no gradient (a G-step routes its loss through D
    without computing D's weight grads); ``requires_grad`` is restored even if the step fails."""
    for m in modules:
        m.requires_grad_(False)
    try:
        yield
    finally:
        for m in modules:
            m.requires_grad_(True)


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


class Method(nn.Module):
    Config: ClassVar[type[BaseConfig]] = BaseConfig
    name: ClassVar[str] = ""
    inference_modules: ClassVar[tuple[str, ...]] = ()
    d_steps_per_g: ClassVar[int] = 1

    def __init__(self, cfg: BaseConfig):
        super().__init__()
        self.cfg = cfg
        self.optimizers: dict[str, torch.optim.Optimizer] = {}

    # ------------------------------------------------------------------ to implement
    @classmethod
    def tiny_config(cls) -> BaseConfig:
        """A config small enough for the shared unit-test battery (seconds on CPU)."""
        raise NotImplementedError

    @classmethod
    def load_data(cls, cfg: BaseConfig, root: Any, split: str) -> Domains:
        raise NotImplementedError

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def d_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        raise NotImplementedError

    def g_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        raise NotImplementedError

    @torch.no_grad()
    def evaluate(self, root: Any, limit: int | None = None) -> dict[str, float]:
        raise NotImplementedError

    @torch.no_grad()
    def translate(self, x: torch.Tensor, direction: str = "a2b", seed: int | None = None) -> torch.Tensor:
        raise NotImplementedError

    def model_card(self) -> str:
        """Method-specific model-card text: paper, scaling for CPU, data license."""
        return ""

    # ------------------------------------------------------------------ shared machinery
    @property
    def device(self) -> torch.device:
        p = next(self.parameters(), None)
        return p.device if p is not None else torch.device("cpu")

    def train_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        logs: dict[str, float] = {}
        for _ in range(self.d_steps_per_g):
            logs.update(self.d_step(batch, step))
        logs.update(self.g_step(batch, step))
        return logs

    def optimize(self, opt_name: str, loss: torch.Tensor) -> None:
        """zero_grad → backward → (all-reduce mean across ranks) → step."""
        opt = self.optimizers[opt_name]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if is_distributed():
            world = dist.get_world_size()
            for group in opt.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
                        p.grad /= world
        opt.step()

    def inference_net(self, name: str) -> nn.Module:
        """The module that ships and runs inference under ``name`` (a method may substitute e.g. an average)."""
        return getattr(self, name)

    def inference_state_dict(self) -> dict[str, torch.Tensor]:
        sd: dict[str, torch.Tensor] = {}
        for m in self.inference_modules:
            for k, v in self.inference_net(m).state_dict().items():
                sd[f"{m}.{k}"] = v.detach().cpu().contiguous()
        return sd

    def load_inference_state_dict(self, sd: dict[str, torch.Tensor]) -> None:
        expected = set(self.inference_state_dict())
        missing, unexpected = sorted(expected - set(sd)), sorted(set(sd) - expected)
        if missing or unexpected:
            raise KeyError(
                f"weights do not match {type(self).__name__}'s config: "
                f"{len(missing)} missing (e.g. {missing[:3]}), {len(unexpected)} unexpected (e.g. {unexpected[:3]})"
            )
        for m in self.inference_modules:
            prefix = m + "."
            getattr(self, m).load_state_dict({k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)})
