"""Checkpoint folders and the Hugging Face Hub.

A trained model is a folder::

    config.json        {"method", "config", "data", "training", "metrics", "xdomain_version"}
    model.safetensors  inference weights only (never pickles)
    README.md          model card

Loading a name resolves: explicit folder → ``checkpoints/<name>`` → Hub cache → download with
``huggingface_hub.hf_hub_download`` (which itself falls back to the cache when the Hub is
unreachable). Every failure becomes a :class:`CheckpointError` with a message a person can act on.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safetensors import SafetensorError

from xdomain import registry

if TYPE_CHECKING:  # torch is imported where weights are read or written: resolving a name or reading
    import torch   # config.json (what the app does while it builds its pages) needs none

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
CARD_NAME = "README.md"
FORMAT_VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be found, downloaded or read."""


# ---------------------------------------------------------------------------- writing
def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# mkstemp creates its temporary file 0600; the finished file gets what open() would have given it (0644 under the
# usual umask), so a checkpoint written here can be read by others like any other file in the clone. Read once:
# flipping the process umask later, while other threads may create files, would not be safe.
FILE_MODE = 0o666 & ~_umask()


def _publish(tmp: str, path: Path) -> None:
    """Give the finished temporary file the normal file mode and move it into place in one step."""
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, path)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        _publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_save_tensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, tmp, metadata=metadata)
        _publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_checkpoint(
    folder: str | Path,
    model: "torch.nn.Module",
    *,
    metrics: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    card: str | None = None,
) -> Path:
    """Write ``config.json`` + ``model.safetensors`` + ``README.md`` (each atomically)."""
    folder = Path(folder)
    cfg = model.cfg
    meta = {
        "format_version": FORMAT_VERSION,
        "method": model.name,
        "config": cfg.to_dict(),
        "data": data or {"dataset": cfg.dataset},
        "training": training or {},
        "metrics": metrics or {},
        "facts": model_facts(model),
    }
    atomic_save_tensors(folder / WEIGHTS_NAME, shipped_state_dict(model), metadata={"method": model.name})
    atomic_write_bytes(folder / CONFIG_NAME, (json.dumps(meta, indent=2, sort_keys=False) + "\n").encode())
    if card is not None:
        atomic_write_bytes(folder / CARD_NAME, card.encode())
    return folder


def shipped_state_dict(model: "torch.nn.Module") -> dict[str, torch.Tensor]:
    """The inference weights as stored: floating tensors cast to ``cfg.ship_dtype`` when a config has one
    (e.g. float16 generators); loading copies them back into the float32 modules."""
    sd = model.inference_state_dict()
    dtype = getattr(model.cfg, "ship_dtype", "float32")
    if dtype == "float32":
        return sd
    import torch

    dt = getattr(torch, dtype)
    return {k: v.to(dt) if v.is_floating_point() else v for k, v in sd.items()}


# What the app shows about a translator before loading it: its pages are built from config.json alone.
FACT_KEYS = ("domain_names", "directions", "two_way", "latent", "code_dim", "latent_noise", "image_size",
             "channels", "data_seed")


def model_facts(model) -> dict[str, Any]:
    """The :data:`FACT_KEYS` attributes the model has (a translator's contract; a classifier has none)."""
    out = {}
    for key in FACT_KEYS:
        value = getattr(model, key, None)
        if value is not None:
            out[key] = list(value) if isinstance(value, tuple) else value
    return out


def update_facts(folder: str | Path) -> dict[str, Any]:
    """Load the checkpoint in ``folder`` and store its :func:`model_facts` in config.json (checkpoints saved
    before facts were stored; :func:`save_checkpoint` writes them, and ``xdomain eval --write`` refreshes them)."""
    path = Path(folder) / CONFIG_NAME
    facts = model_facts(load_model(folder, allow_download=False))
    meta = json.loads(path.read_text())
    if meta.get("facts") != facts:
        meta["facts"] = facts
        atomic_write_bytes(path, (json.dumps(meta, indent=2) + "\n").encode())
    return facts


def metrics_table(metrics: dict[str, Any]) -> str:
    rows = "\n".join(f"| {k} | {v:.4g} |" if isinstance(v, (int, float)) else f"| {k} | {v} |" for k, v in metrics.items())
    return f"| metric | value |\n|---|---|\n{rows}\n"


def update_metrics(folder: str | Path, metrics: dict[str, Any]) -> None:
    """Store freshly computed metrics in config.json and in the model card's "## Metrics" section."""
    path = Path(folder) / CONFIG_NAME
    meta = json.loads(path.read_text())
    meta["metrics"] = metrics
    atomic_write_bytes(path, (json.dumps(meta, indent=2) + "\n").encode())
    card = Path(folder) / CARD_NAME
    if card.is_file():
        text = card.read_text()
        m = re.search(r"^## Metrics[^\n]*\n", text, flags=re.M)
        if m:
            end = text.find("\n## ", m.end())
            end = len(text) if end < 0 else end + 1
            text = text[: m.end()] + "\n" + metrics_table(metrics) + "\n" + text[end:]
            atomic_write_bytes(card, text.encode())


# ---------------------------------------------------------------------------- resolving
def _is_checkpoint_dir(p: Path) -> bool:
    return (p / CONFIG_NAME).is_file() and (p / WEIGHTS_NAME).is_file()


def download(repo_id: str, revision: str = "main", cache_dir: str | Path | None = None, *,
             local_only: bool = False) -> Path:
    """Fetch config + weights (+ card if present) of a Hub repo; the cache serves them offline.

    ``local_only=True`` looks in the Hub cache only and never touches the network.
    """
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    paths: dict[str, Path] = {}
    for fname in (CONFIG_NAME, WEIGHTS_NAME, CARD_NAME):
        try:
            paths[fname] = Path(hf_hub_download(repo_id, fname, revision=revision, cache_dir=cache_dir,
                                                local_files_only=local_only))
        except LocalEntryNotFoundError as e:  # before EntryNotFoundError: it is a subclass of it
            if fname == CARD_NAME:
                continue
            raise CheckpointError(
                f"cannot download {fname} from {repo_id}@{revision}: the Hub is unreachable and it is not cached"
            ) from e
        except EntryNotFoundError as e:
            if fname == CARD_NAME:
                continue
            raise CheckpointError(f"Hub repo {repo_id}@{revision} has no {fname}: not an xdomain checkpoint") from e
        except (RepositoryNotFoundError, RevisionNotFoundError) as e:
            raise CheckpointError(f"Hub repo {repo_id}@{revision} not found") from e
        except OSError as e:
            raise CheckpointError(f"cannot download {fname} from {repo_id}@{revision}: {e}") from e
    return paths[CONFIG_NAME].parent


def resolve(name_or_dir: str | Path, *, allow_download: bool = True) -> Path:
    """Folder holding the checkpoint: a path, a registered name's local folder → the Hub cache → a download."""
    p = Path(name_or_dir)
    if p.is_dir():
        if not _is_checkpoint_dir(p):
            raise CheckpointError(f"{p} is not a checkpoint folder (needs {CONFIG_NAME} and {WEIGHTS_NAME})")
        return p
    name = str(name_or_dir)
    if name in registry.CHECKPOINTS:
        spec = registry.CHECKPOINTS[name]
        if _is_checkpoint_dir(spec.local_dir):
            return spec.local_dir
        if not allow_download:
            try:
                return download(spec.hub_repo_id, spec.revision, local_only=True)  # the Hub cache
            except CheckpointError:
                raise CheckpointError(f"checkpoint {name!r} is neither in {spec.local_dir} nor in the Hub cache, "
                                      "and downloads are off") from None
        return download(spec.hub_repo_id, spec.revision)
    if "/" in name and not name.startswith((".", "/")) and name.count("/") == 1 and allow_download:
        return download(name)  # a Hub repo id such as "user/model"
    known = ", ".join(sorted(registry.CHECKPOINTS)) or "none"
    raise CheckpointError(f"unknown checkpoint {name!r}: not a folder, a registered name ({known}) or a Hub repo id")


def read_meta(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / CONFIG_NAME
    try:
        meta = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path} is missing or not valid JSON: {e}") from e
    if not isinstance(meta, dict) or "method" not in meta or "config" not in meta:
        raise CheckpointError(f"{path} lacks 'method'/'config': not an xdomain checkpoint")
    return meta


def load_model(name_or_dir: str | Path, device: "str | torch.device" = "cpu", *, allow_download: bool = True):
    """Rebuild a method from its saved config and load its safetensors weights (eval mode)."""
    from safetensors.torch import load_file

    folder = resolve(name_or_dir, allow_download=allow_download)
    meta = read_meta(folder)
    try:
        cls = registry.get_method(meta["method"])
        cfg = cls.Config.from_dict(meta["config"])
    except (KeyError, ValueError, TypeError) as e:
        raise CheckpointError(f"{folder}: config does not match this version of xdomain: {e}") from e
    model = cls(cfg)
    try:
        sd = load_file(str(folder / WEIGHTS_NAME))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{folder / WEIGHTS_NAME} is corrupt or unreadable ({e}); re-download or retrain it") from e
    try:
        model.load_inference_state_dict(sd)
    except (KeyError, RuntimeError) as e:
        raise CheckpointError(f"{folder / WEIGHTS_NAME} does not fit its config: {e}") from e
    model.checkpoint_meta = meta
    model.checkpoint_dir = folder
    return model.to(device).eval()


def describe(name: str) -> dict[str, Any]:
    """Registry entry + where it would load from, without loading weights (for ``list``)."""
    spec = registry.get_checkpoint(name)
    local = _is_checkpoint_dir(spec.local_dir)
    info: dict[str, Any] = {
        "name": spec.name,
        "method": spec.method,
        "dataset": spec.dataset,
        "summary": spec.summary,
        "tabs": list(spec.tabs),
        "label": spec.label,
        "offered": spec.offered,
        "kind": registry.get_method_spec(spec.method).kind,
        "repo_id": spec.hub_repo_id,
        "revision": spec.revision,
        "source": "local" if local else "hub",
        "path": str(spec.local_dir) if local else None,
        "metrics": {},
    }
    if local:
        try:
            info["metrics"] = read_meta(spec.local_dir).get("metrics", {})
        except CheckpointError as e:
            info["error"] = str(e)
    return info


# ---------------------------------------------------------------------------- publishing
def publish(folder: str | Path, repo_id: str, *, revision: str | None = None, token: str | None = None,
            private: bool = False) -> str:
    """Upload a checkpoint folder to the Hub (creates the repo if needed); returns the commit URL."""
    from huggingface_hub import HfApi

    folder = Path(folder)
    if not _is_checkpoint_dir(folder):
        raise CheckpointError(f"{folder} is not a checkpoint folder (needs {CONFIG_NAME} and {WEIGHTS_NAME})")
    read_meta(folder)
    api = HfApi(token=token)
    api.create_repo(repo_id, exist_ok=True, private=private)
    info = api.upload_folder(
        folder_path=str(folder), repo_id=repo_id, revision=revision,
        allow_patterns=[CONFIG_NAME, WEIGHTS_NAME, CARD_NAME, "*.png"],
        commit_message=f"Upload xdomain checkpoint {folder.name}",
    )
    return str(getattr(info, "commit_url", info))


def copy_checkpoint(src: str | Path, dst: str | Path) -> Path:
    """Copy only the inference files of a training run into ``checkpoints/<name>``."""
    src, dst = Path(src), Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    for f in (CONFIG_NAME, WEIGHTS_NAME, CARD_NAME):
        if (src / f).exists():
            shutil.copy2(src / f, dst / f)
    return dst
