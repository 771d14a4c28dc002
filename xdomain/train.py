"""The generic training loop: any registered method, resumable, seeded, DDP-aware.

The method owns its networks, losses, D-step and G-step (:class:`xdomain.methods.base.Method`);
this loop owns everything else: device, seeding, batch sampling, tqdm progress, periodic
*atomic* training-state checkpoints (``train_state.safetensors`` = every network incl.
discriminators + optimizer states; written to a temp file then renamed), resuming after a kill,
and writing the final checkpoint folder with its metrics and model card.

Batches (and the global RNG used for in-step noise) are seeded by ``(seed, rank, step)``, so a
resumed run sees the same batches and noise it would have seen had it never stopped, and each
torchrun rank sees different data.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable

import torch
import torch.distributed as dist
from safetensors.torch import load_file
from tqdm.auto import tqdm

from xdomain import hub, registry
from xdomain.config import BaseConfig
from xdomain.methods.base import Method

STATE_NAME = "train_state.safetensors"
STATE_META = "train_state.json"
STATE_RECORD = "xdomain_train_state"  # safetensors metadata key: the step / optimizer record of those tensors


def pick_device(spec: str = "auto") -> torch.device:
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(spec)


def seed_everything(seed: int) -> None:
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def batch_generator(seed: int, rank: int, step: int) -> torch.Generator:
    return torch.Generator().manual_seed((seed * 1_000_003 + rank * 7919 + step) % 2**63)


def step_batch(data, batch_size: int, seed: int, rank: int, step: int) -> dict[str, torch.Tensor]:
    """The batch of ``step``; also reseeds the global RNG so in-step noise depends on (seed, rank, step) only."""
    gen = batch_generator(seed, rank, step)
    torch.manual_seed(int(torch.randint(0, 2**62, (1,), generator=gen)))
    return data.sample(batch_size, gen)


def batch_to(batch: dict[str, torch.Tensor], device: torch.device | str, channels_last: bool = False
             ) -> dict[str, torch.Tensor]:
    """``batch`` on ``device``; with ``channels_last`` its images (4-D tensors) in NHWC layout, as the loop's
    ``channels_last=true`` trains (labels and other tensors as they are)."""
    fmt = torch.channels_last if channels_last else torch.preserve_format
    return {k: v.to(device, non_blocking=True, memory_format=fmt if v.dim() == 4 else torch.preserve_format)
            for k, v in batch.items()}


# ----------------------------------------------------------------------------- state I/O
def _flatten_optimizers(opts: dict[str, torch.optim.Optimizer]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors: dict[str, torch.Tensor] = {}
    meta: dict[str, Any] = {}
    for name, opt in opts.items():
        sd = opt.state_dict()
        scalars: dict[str, dict[str, Any]] = {}
        for pid, st in sd["state"].items():
            for k, v in st.items():
                if torch.is_tensor(v):
                    tensors[f"opt.{name}.{pid}.{k}"] = v
                else:
                    scalars.setdefault(str(pid), {})[k] = v
        meta[name] = {"param_groups": sd["param_groups"], "scalars": scalars}
    return tensors, meta


def _unflatten_optimizers(opts: dict[str, torch.optim.Optimizer], tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    for name, opt in opts.items():
        state: dict[int, dict[str, Any]] = {}
        prefix = f"opt.{name}."
        for key, v in tensors.items():
            if key.startswith(prefix):
                pid, k = key[len(prefix):].split(".", 1)
                state.setdefault(int(pid), {})[k] = v
        for pid, sc in meta[name]["scalars"].items():
            state.setdefault(int(pid), {}).update(sc)
        opt.load_state_dict({"state": state, "param_groups": meta[name]["param_groups"]})


def save_train_state(out: Path, model: Method, step: int, elapsed: float) -> None:
    """One atomic file holds the tensors *and* the step / optimizer scalars (in its metadata), so a kill
    between two writes can never pair one step's weights with another step's counters; the JSON beside
    it repeats the same record for people and tools (``load_run`` reads the method and config from it)."""
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    opt_t, opt_meta = _flatten_optimizers(model.optimizers)
    tensors.update(opt_t)
    meta = {"method": model.name, "step": step, "elapsed_s": elapsed, "config": model.cfg.to_dict(), "optimizers": opt_meta}
    record = json.dumps(meta)
    hub.atomic_save_tensors(out / STATE_NAME, tensors, metadata={STATE_RECORD: record})
    hub.atomic_write_bytes(out / STATE_META, record.encode())


def load_train_state(out: Path, model: Method) -> tuple[int, float]:
    from safetensors import safe_open

    with safe_open(str(out / STATE_NAME), framework="pt") as f:  # the record saved with these very tensors
        record = (f.metadata() or {}).get(STATE_RECORD)
    meta = json.loads(record) if record else json.loads((out / STATE_META).read_text())
    tensors = load_file(str(out / STATE_NAME))
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    _unflatten_optimizers(model.optimizers, {k: v for k, v in tensors.items() if k.startswith("opt.")}, meta["optimizers"])
    return int(meta["step"]), float(meta["elapsed_s"])


def training_record(model: Method, steps: int, wall_s: float, device: str, world: int, **extra: Any) -> dict[str, Any]:
    """The ``training`` block of a checkpoint's config.json (steps done vs planned, wall time, where)."""
    return {"steps": steps, "planned_steps": model.cfg.steps, "wall_time_s": round(wall_s, 1), "device": device,
            "world_size": world, "torch": torch.__version__, **extra}


def load_run(run_dir: str | Path) -> tuple[Method, int, float]:
    """The model of a run's latest ``train_state`` (float32, eval mode), its step and elapsed seconds."""
    run = Path(run_dir)
    if not (run / STATE_META).is_file():
        raise FileNotFoundError(f"{run} has no {STATE_META}: not a training run folder (or no state saved yet)")
    meta = json.loads((run / STATE_META).read_text())
    cls = registry.get_method(meta["method"])
    model = cls(cls.Config.from_dict(meta["config"]))
    model.configure_optimizers()
    step, elapsed = load_train_state(run, model)
    return model.eval(), step, elapsed


def export_state(run_dir: str | Path, out_dir: str | Path, *, evaluate: bool = False, data_root=None,
                 ship_dtype: str | None = None) -> Path:
    """Write an inference checkpoint from a run's latest ``train_state`` (e.g. while it still trains).
    ``ship_dtype`` (for configs that have the field) stores the weights as e.g. float16; the metrics are
    then computed with the weights as shipped (rounded), not the float32 ones."""
    from xdomain.data import resolve_root

    model, step, elapsed = load_run(run_dir)
    if ship_dtype is not None:
        if not hasattr(model.cfg, "ship_dtype"):
            raise ValueError(f"{model.name} configs have no ship_dtype field")
        model.cfg = model.cfg.replace(ship_dtype=ship_dtype)
        shipped = hub.shipped_state_dict(model)
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in shipped.items()}, strict=False)
    metrics = model.evaluate(resolve_root(data_root), limit=model.cfg.eval_limit) if evaluate else {}
    training = training_record(model, step, elapsed, "cpu", 1, exported_from_state=True)
    return hub.save_checkpoint(out_dir, model, metrics=metrics, training=training,
                               card=default_card(model, metrics, training))


# ----------------------------------------------------------------------------- the loop
def _init_distributed() -> tuple[int, int]:
    if "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1 and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def default_card(model: Method, metrics: dict[str, Any], training: dict[str, Any]) -> str:
    spec = registry.get_method_spec(model.name)
    cfg = json.dumps(model.cfg.to_dict(), indent=2)
    world = training.get("world_size", 1)
    threads = getattr(model.cfg, "threads", 0)
    where = "one process" if world == 1 else f"{world} processes"
    if threads and training.get("device", "cpu") == "cpu":  # torch.set_num_threads(cfg.threads) in train()
        where += f", {threads} CPU thread{'s' if threads > 1 else ''}" + (" each" if world > 1 else "")
    return (
        f"---\nlibrary_name: xdomain\ntags: [image-to-image, gan, {model.name}]\n---\n\n"
        f"# xdomain `{model.name}` on `{model.cfg.dataset}`\n\n"
        f"**Paper:** {spec.paper}\n\n{spec.summary}.\n\n"
        f"{model.model_card()}\n\n"
        f"## Training\n\nTrained with `python -m xdomain train {model.name}` on {training.get('device', 'cpu')} "
        f"for {training.get('steps', '?')} steps in {training.get('wall_time_s', 0) / 60:.1f} min "
        f"({where}, torch {training.get('torch', torch.__version__)}).\n\n"
        f"## Metrics (computed by `python -m xdomain eval`)\n\n{hub.metrics_table(metrics)}\n"
        f"## Config\n\n```json\n{cfg}\n```\n\n"
        "Weights are `model.safetensors` (inference networks only); load with "
        "`xdomain.hub.load_model(<folder or repo id>)`.\n"
    )


def _out_of_time(spent: float, budget: float, world: int, device: torch.device) -> bool:
    """Whether the wall-clock budget is used up; under torchrun every rank gets rank 0's answer."""
    flag = torch.tensor([1.0 if spent >= budget else 0.0], device=device)  # on the device NCCL wants
    if world > 1:
        dist.broadcast(flag, 0)
    return bool(flag.item())


def train(
    method: str | type[Method],
    cfg: BaseConfig,
    out_dir: str | Path,
    *,
    data_root: str | Path | None = None,
    device: str = "auto",
    resume: bool = False,
    evaluate: bool = True,
    callback: Callable[[int, Method, dict[str, float]], None] | None = None,
    progress: bool = True,
    max_minutes: float | None = None,
) -> Path:
    """Train ``method`` (a registered name or the class itself, resolved once) with ``cfg``; returns the
    checkpoint folder ``out_dir``.

    ``max_minutes`` is a wall-clock budget for the whole run (resumed time included): training stops
    after the first step that reaches it, saves its state and writes the checkpoint with the number of
    steps actually done, so a CPU run can be time-boxed (e.g. "≤ 60 min of training").
    """
    from xdomain.data import resolve_root

    rank, world = _init_distributed()
    out = Path(out_dir)
    dev = pick_device(device)
    if world > 1 and dev.type == "cuda":
        dev = torch.device("cuda", rank % torch.cuda.device_count())
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)  # same init on every rank; ranks differ only in the batches they draw
    cls = registry.get_method(method) if isinstance(method, str) else method
    cfg = cls.resolve_config(cfg)
    model = cls(cfg)
    model.load_pretrained()
    model = model.to(dev)
    if cfg.channels_last:  # 4-D weights go NHWC (oneDNN's fast path on CPU); tied tensors stay one tensor
        model = model.to(memory_format=torch.channels_last)
    model.configure_optimizers()
    root = resolve_root(data_root)
    data = cls.load_data(cfg, root, "train")

    start, elapsed = 0, 0.0
    if resume and (out / STATE_NAME).exists():
        start, elapsed = load_train_state(out, model)
        if rank == 0:
            print(f"resumed {out} at step {start}")
    model.train()
    bar = tqdm(range(start, cfg.steps), initial=start, total=cfg.steps, disable=not progress or rank != 0,
               desc=cls.name, dynamic_ncols=True)
    t0 = time.perf_counter()
    logs: dict[str, float] = {}
    done = start
    budget = max_minutes * 60 if max_minutes else None
    for step in bar:
        batch = step_batch(data, cfg.batch_size, cfg.seed, rank, step)
        batch = batch_to(batch, dev, cfg.channels_last)
        logs = model.train_step(batch, step)
        if callback is not None:
            callback(step, model, logs)
        if step % cfg.log_every == 0:
            bar.set_postfix({k: f"{v:.3g}" for k, v in list(logs.items())[:6]})
        done = step + 1
        stop = budget is not None and _out_of_time(elapsed + time.perf_counter() - t0, budget, world, dev)
        if rank == 0 and (done % cfg.ckpt_every == 0 or done == cfg.steps or stop):
            save_train_state(out, model, done, elapsed + time.perf_counter() - t0)
        if stop:
            if rank == 0:
                print(f"time budget of {max_minutes:g} min reached after {done} steps")
            break
    bar.close()
    wall = elapsed + time.perf_counter() - t0

    if rank == 0:
        model.eval()
        metrics: dict[str, Any] = {}
        if evaluate:
            metrics = model.evaluate(root, limit=cfg.eval_limit)
        training = training_record(model, done, wall, str(dev), world,
                                   last_losses={k: round(float(v), 5) for k, v in logs.items()})
        hub.save_checkpoint(out, model, metrics=metrics, training=training,
                            card=default_card(model, metrics, training))
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
    return out
