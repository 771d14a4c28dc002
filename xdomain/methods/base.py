"""The contracts every method implements, so one generic loop trains them all and one app serves them.

Two layers, each declared here and nowhere else:

**Trainable** (:class:`Method`), what :mod:`xdomain.train` needs: an ``nn.Module`` built from its typed
config (``Config``, a :class:`xdomain.config.BaseConfig`), declaring

* ``inference_modules``           the sub-modules whose weights ship in ``model.safetensors``;
* ``load_data(cfg, root, split)`` a :class:`Domains` of in-memory tensors;
* ``configure_optimizers()``      a dict of named optimizers;
* ``d_step(batch, step)`` / ``g_step(batch, step)``  one update each, returning ``{name: float}``;
  one iteration is ``cfg.d_steps`` D-steps then ``cfg.g_steps`` G-steps on the same batch
  (:meth:`Method.train_step`); nothing is cached between them;
* ``judge_names()``               role → judge checkpoint its metrics read (loaded at the edge and passed in);
* ``compute_metrics(data, judges, limit)`` the paper's metrics as ``{name: float}``.

**Translator** (:class:`Translator`), what every app tab and CLI verb reads — nothing else:

* ``domain_names`` ("Male", "Female"), ``directions`` (``("a2b", "b2a")`` or one-way ``("a2b",)``),
  ``image_size`` and ``channels`` of its inputs (``input_kind`` "image" or "points");
* ``code_dim``: size of the random code an output depends on (noise z, UNIT's ε, an exclusive code);
  0 = deterministic; ``latent``: "none", "shared" (``encode``/``decode`` through one shared code, UNIT,
  CoGAN) or "shared+exclusive" (``encode`` → (S, E), ``decode(S, E, side)``: disentanglement);
* ``translate(x, direction, *, seed=None, code=None)``: a batch ``[N, C, H, W]`` in ``[-1, 1]`` → the other
  domain, on the model's device, without gradient; ``seed`` draws the code, ``code`` sets it;
* generic, written once here: :meth:`Translator.translate_batched`, :meth:`Translator.round_trips`,
  :meth:`Translator.direction_label`.

Judges (the classifiers other methods' metrics ask) are trainable but not translators: their own kind
(:class:`xdomain.methods.classifier.Classifier`, registry kind ``"judge"``).

:class:`TwoDomainGAN` adds what DiscoGAN, DTN, the toy lab, UNIT and CoGAN share: named generator and
discriminator sub-modules, one Adam per side over their *unique* parameters (a module handed to two
networks — weight tying — is optimised once), the discriminators frozen during the G-step, and an optional
moving average of named modules that ships instead of them (``cfg.ema``: :meth:`TwoDomainGAN.average_weights`).

Updates go through :meth:`Method.optimize`, which averages gradients across processes when
running under ``torchrun`` (gloo on CPU) — functionally what DDP does, without wrapping each
of a GAN's many sub-networks.
"""
from __future__ import annotations

import copy
import dataclasses
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator

import torch
import torch.distributed as dist
from torch import nn

from xdomain.contract import DIRECTIONS, LATENTS  # noqa: F401 - the contract's vocabulary, re-exported
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
    """The trainable contract (see the module docstring)."""

    Config: ClassVar[type[BaseConfig]] = BaseConfig
    name: ClassVar[str] = ""
    kind: ClassVar[str] = "translator"  # registry kind: "translator" or "judge"
    inference_modules: ClassVar[tuple[str, ...]] = ()
    fused_adam: ClassVar[bool] = False
    presets: ClassVar[dict[str, dict[str, Any]]] = {}  # named config overrides (e.g. DTN's "digits", "faces")

    def __init__(self, cfg: BaseConfig):
        super().__init__()
        self.cfg = cfg
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.checkpoint_dir: Any = None  # set by xdomain.hub.load_model: the folder it came from
        self.checkpoint_meta: dict[str, Any] = {}  # … and its config.json (metrics, training record)

    # ------------------------------------------------------------------ to implement
    @classmethod
    def tiny_config(cls) -> BaseConfig:
        """A config small enough for the shared unit-test battery (seconds on CPU)."""
        raise NotImplementedError

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> BaseConfig:
        """The config of a named preset (``cls.presets``), with ``overrides``; ``preset`` records its name
        when the config has that field."""
        if name not in cls.presets:
            raise KeyError(f"unknown {cls.name} preset {name!r}; known: {', '.join(cls.presets) or 'none'}")
        named = {"preset": name} if "preset" in {f.name for f in dataclasses.fields(cls.Config)} else {}
        return cls.Config(**(cls.presets[name] | named | overrides))

    @classmethod
    def resolve_config(cls, cfg: BaseConfig) -> BaseConfig:
        """Fill what a config names but does not hold (e.g. DTN's encoder architecture) before building:
        the one place a method may do I/O, called by the training loop, never by ``__init__``."""
        return cfg

    def load_pretrained(self) -> None:
        """Load pretrained parts named by the config (e.g. DTN's frozen f) before training starts."""

    @classmethod
    def load_data(cls, cfg: BaseConfig, root: Any, split: str) -> Domains:
        raise NotImplementedError

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def d_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        raise NotImplementedError

    def g_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        raise NotImplementedError

    def judge_names(self) -> dict[str, str]:
        """Role → judge checkpoint the metrics read (e.g. ``{"attributes": "judge-celeba-robust"}``)."""
        return {}

    @torch.no_grad()
    def compute_metrics(self, data: dict[str, torch.Tensor], judges: dict[str, Any], limit: int | None = None,
                        ) -> dict[str, float]:
        """The paper's metrics on one split's tensors, read by the given judge objects (``None`` = missing)."""
        raise NotImplementedError

    def model_card(self) -> str:
        """Method-specific model-card text: paper, scaling for CPU, data license."""
        return ""

    # ------------------------------------------------------------------ shared machinery
    @property
    def device(self) -> torch.device:
        p = next(self.parameters(), None)
        return p.device if p is not None else torch.device("cpu")

    def split_data(self, root: Any = None, split: str = "test") -> dict[str, torch.Tensor]:
        """This model's data (:meth:`load_data` with its config) on ``split`` under ``root`` (default: the
        resolved data root)."""
        from xdomain.data import resolve_root

        return self.load_data(self.cfg, resolve_root(root) if root is None else root, split).tensors

    @torch.no_grad()
    def evaluate(self, root: Any = None, limit: int | None = None, *, split: str = "test",
                 judges: dict[str, Any] | None = None) -> dict[str, float]:
        """Metrics on ``split`` ("test" to report, "val" to choose between models) of the data under
        ``root`` (default: the resolved data root). Judges are loaded here from :meth:`judge_names` unless
        given: metric code itself never loads a checkpoint."""
        from xdomain.judges import load_judges

        if judges is None:
            judges = load_judges(self.judge_names())
        was = self.training
        self.eval()
        try:
            return self.compute_metrics(self.split_data(root, split), judges, limit)
        finally:
            self.train(was)

    def train_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        """One iteration: ``cfg.d_steps`` D-steps, then ``cfg.g_steps`` G-steps, on the same batch."""
        logs: dict[str, float] = {}
        for _ in range(self.cfg.d_steps):
            logs.update(self.d_step(batch, step))
        for _ in range(self.cfg.g_steps):
            logs.update(self.g_step(batch, step))
        return logs

    def adam(self, *modules: nn.Module, weight_decay: float = 0.0) -> torch.optim.Adam:
        """Adam over the *unique* parameters of ``modules`` (a tied module counts once), with the config's
        lr and betas."""
        c = self.cfg
        return torch.optim.Adam(unique_parameters(*modules), lr=c.lr, betas=(c.beta1, c.beta2),
                                weight_decay=weight_decay, **({"fused": True} if self.fused_adam else {}))

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

    # ------------------------------------------------------------------ tied tensors in state dicts
    def tied_aliases(self) -> dict[str, str]:
        """State-dict key → the first key naming the same tensor (``G2.0.0.weight`` → ``G1.0.0.weight``)."""
        first: dict[int, str] = {}
        out: dict[str, str] = {}
        for k, v in nn.Module.state_dict(self, keep_vars=True).items():
            if id(v) in first:
                out[k] = first[id(v)]
            else:
                first[id(v)] = k
        return out

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Every tensor once: a tensor tied into two networks under its first name only (safetensors
        refuses aliased tensors, so the training state needs this); :meth:`load_state_dict` restores it."""
        sd = super().state_dict(*args, destination=destination, prefix=prefix, keep_vars=keep_vars)
        for alias in self.tied_aliases():
            sd.pop(prefix + alias, None)
        return sd

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        sd = dict(state_dict)
        for alias, name in self.tied_aliases().items():
            if alias not in sd and name in sd:
                sd[alias] = sd[name]
        return super().load_state_dict(sd, strict=strict, assign=assign)

    def inference_net(self, name: str) -> nn.Module:
        """The module that ships and runs inference under ``name`` (a method may substitute e.g. an average)."""
        return getattr(self, name)

    def inference_state_dict(self) -> dict[str, torch.Tensor]:
        """Shipped weights; a tensor tied into several modules is stored once, under its first name."""
        sd: dict[str, torch.Tensor] = {}
        seen: set[int] = set()
        for m in self.inference_modules:
            for k, v in self.inference_net(m).state_dict(keep_vars=True).items():
                if id(v) in seen:
                    continue
                seen.add(id(v))
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
            getattr(self, m).load_state_dict({k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)},
                                             strict=False)




class Translator(Method):
    """The contract every app tab and CLI verb reads (see the module docstring)."""

    kind = "translator"
    directions: tuple[str, ...] = ("a2b", "b2a")
    input_kind: str = "image"  # "image" or "points" (the toy lab)
    code_dim: int = 0  # size of the random code an output depends on; 0 = deterministic
    latent: str = "none"  # "none" | "shared" | "shared+exclusive"
    latent_noise: bool = False  # outputs are G(μ(x) + η), η ~ N(0, I) of code_dim (UNIT); translate(code=η)

    @property
    def domain_names(self) -> tuple[str, str]:
        """Human names of domain A and B, e.g. ("Male", "Female")."""
        return ("A", "B")

    @property
    def image_size(self) -> int:
        return int(getattr(self.cfg, "image_size", 0))

    @property
    def channels(self) -> int:
        return int(getattr(self.cfg, "channels", 0))

    @property
    def stochastic(self) -> bool:
        return self.code_dim > 0

    @property
    def data_seed(self) -> int:
        """Seed of the derived training/test domains (e.g. MNIST-CD/CB's colours): galleries use it."""
        return int(self.cfg.seed)

    def check_direction(self, direction: str) -> tuple[str, str]:
        """``"a2b"`` → ``("A", "B")``; a clear error for a direction this model does not have."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
        if direction not in self.directions:
            a, b = self.domain_names
            raise ValueError(f"this model is one-way ({a} → {b}); it has no {direction!r} direction")
        return DIRECTIONS[direction]

    def draw_code(self, n: int, seed: int | None) -> torch.Tensor:
        """``[n, code_dim]`` from :meth:`code_noise`: from its own generator when seeded (the global RNG is
        untouched)."""
        g = torch.Generator().manual_seed(int(seed)) if seed is not None else None
        return self.code_noise(n, g).to(self.device)

    def code_noise(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        """The code's distribution, N(0, I) ``[n, code_dim]``; a method trained on other noise overrides it."""
        return torch.randn(n, self.code_dim, generator=generator)

    @torch.no_grad()
    def translate(self, x: torch.Tensor, direction: str = "a2b", *, seed: int | None = None,
                  code: torch.Tensor | None = None) -> torch.Tensor:
        """A batch of inputs → the other domain (see the module docstring); the one signature for all."""
        raise NotImplementedError

    @torch.no_grad()
    def translate_batched(self, x: torch.Tensor, direction: str = "a2b", batch: int = 250, *,
                          seed: int | None = None) -> torch.Tensor:
        """:meth:`translate` over a large set in chunks, results on the CPU."""
        return torch.cat([self.translate(x[i:i + batch], direction, seed=None if seed is None else seed + i).cpu()
                          for i in range(0, len(x), batch)])

    @property
    def two_way(self) -> bool:
        return set(self.directions) == set(DIRECTIONS)

    @torch.no_grad()
    def round_trips(self, x: torch.Tensor, direction: str = "a2b", n: int = 1) -> list[torch.Tensor]:
        """``[x, G(x), back(G(x)), ...]``: ``n`` round trips (DiscoGAN Fig. 7f), ``2n + 1`` batches."""
        if not self.two_way:
            a, b = self.domain_names
            raise ValueError(f"{a} → {b} translates one way only, so it has no round trip.")
        back = "b2a" if direction == "a2b" else "a2b"
        self.check_direction(direction)
        out = [x.cpu()]
        for _ in range(int(n)):
            out.append(self.translate_batched(out[-1], direction))
            out.append(self.translate_batched(out[-1], back))
        return out

    def direction_label(self, direction: str) -> str:
        """``"Male → Female"``; a one-way model is named by its target alone (``"emoji"``)."""
        src, dst = (self.domain_names["AB".index(s)] for s in DIRECTIONS[direction])
        return dst if not self.two_way else f"{src} → {dst}"


class TwoDomainGAN(Translator):
    """Generators and discriminators by name, one Adam each (tied modules once), D frozen in the G-step."""

    generator_names: tuple[str, ...] = ()
    discriminator_names: tuple[str, ...] = ()

    @property
    def generators(self) -> dict[str, nn.Module]:
        return {n: getattr(self, n) for n in self.generator_names}

    @property
    def discriminators(self) -> dict[str, nn.Module]:
        return {n: getattr(self, n) for n in self.discriminator_names}

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        wd = float(getattr(self.cfg, "weight_decay", 0.0))
        self.optimizers = {"G": self.adam(*self.generators.values(), weight_decay=wd),
                           "D": self.adam(*self.discriminators.values(), weight_decay=wd)}
        return self.optimizers

    def d_frozen(self):
        """``with self.d_frozen():`` the discriminators only route the G-step's gradient."""
        return frozen(*self.discriminators.values())

    # ------------------------------------------------------------------ weight averaging (``cfg.ema``)
    averaged_modules: tuple[str, ...] = ()

    def average_weights(self, names: tuple[str, ...]) -> None:
        """With ``cfg.ema`` = β > 0, keep shadow copies of the modules ``names`` (one deepcopy, so ties between them
        stay ties) that :meth:`update_average` moves after every G step, θ' ← β·θ' + (1 − β)·θ, batch-norm
        statistics copied from the live nets; only the shadows ship and run inference (:meth:`inference_net`).
        The average of the last ≈ 1/(1 − β) iterates smooths adversarial training's step-to-step oscillation
        (Yazıcı et al., ICLR 2019); training, the losses and D are unchanged. Not in any of the five papers."""
        beta = float(getattr(self.cfg, "ema", 0.0))
        if not beta:
            return
        if not 0.0 < beta < 1.0:
            raise ValueError(f"ema is a decay in (0, 1) (or 0 for off), got {beta}")
        self.averaged_modules = tuple(names)
        live = nn.ModuleDict({n: getattr(self, n) for n in names})
        self.ema_nets = copy.deepcopy(live).requires_grad_(False)

    @torch.no_grad()
    def update_average(self) -> None:
        """One step of the moving average (a no-op without ``cfg.ema``)."""
        if not self.averaged_modules:
            return
        live = [getattr(self, n) for n in self.averaged_modules]
        for p_avg, p in zip(unique_parameters(*self.ema_nets.values()), unique_parameters(*live)):
            p_avg.lerp_(p, 1.0 - self.cfg.ema)
        for n, net in zip(self.averaged_modules, live):
            for b_avg, b in zip(self.ema_nets[n].buffers(), net.buffers()):
                b_avg.copy_(b)

    def inference_net(self, name: str) -> nn.Module:
        """The weight average of ``name`` when it is averaged (and ``cfg.ema`` still says so: a caller may set it to
        0 to read the live nets), else the module itself."""
        averaged = name in self.averaged_modules and getattr(self.cfg, "ema", 0.0)
        return self.ema_nets[name] if averaged else getattr(self, name)

    def load_inference_state_dict(self, sd: dict[str, torch.Tensor]) -> None:
        super().load_inference_state_dict(sd)  # shipped weights (the averages) land in the live nets …
        if self.averaged_modules:  # … and in the shadows that run inference
            self.ema_nets.load_state_dict({f"{n}.{k}": v for n in self.averaged_modules
                                           for k, v in getattr(self, n).state_dict().items()})


def unique_parameters(*modules: nn.Module) -> list[nn.Parameter]:
    """Parameters of ``modules`` in order, each once: a module shared by two networks is one set of tensors."""
    seen: set[int] = set()
    out = []
    for m in modules:
        for p in m.parameters():
            if id(p) not in seen:
                seen.add(id(p))
                out.append(p)
    return out
