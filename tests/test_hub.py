"""Checkpoint folders and the Hub: save → load identity, and the real huggingface_hub download and
upload code against a local Hub server (:mod:`hub_server`) — first download, cached reload with
the server gone, missing and corrupt files, publishing."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch

from xdomain import hub, registry


@pytest.fixture
def tiny_ckpt(tiny_method, tmp_path: Path) -> tuple[Path, torch.nn.Module]:
    """A checkpoint folder of the test-only method, with non-trivial (seeded) weights."""
    torch.manual_seed(3)
    cfg = tiny_method.TinyConfig(hidden=12, seed=3)
    model = tiny_method.TinyMethod(cfg).eval()
    folder = hub.save_checkpoint(tmp_path / "ckpt", model, metrics={"mean_x": 0.5}, training={"steps": 0},
                                 card="---\nlibrary_name: xdomain\n---\n# tiny\n")
    return folder, model


@pytest.fixture
def temp_checkpoint_name(tiny_method):
    """Register checkpoint specs for one test and remove them afterwards."""
    added: list[str] = []

    def add(name: str, repo_id: str, method: str = "tiny-test") -> registry.CheckpointSpec:
        spec = registry.register_checkpoint(registry.CheckpointSpec(name, method, "gauss2", "test", repo_id=repo_id))
        added.append(name)
        return spec

    yield add
    for name in added:
        registry.CHECKPOINTS.pop(name, None)


def _probe() -> torch.Tensor:
    return torch.linspace(-2, 2, 20).reshape(10, 2)


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {f: (folder / f).read_bytes() for f in (hub.CONFIG_NAME, hub.WEIGHTS_NAME, hub.CARD_NAME)}


# --------------------------------------------------------------------------- local folders
def test_save_writes_three_files_without_pickles(tiny_ckpt):
    folder, model = tiny_ckpt
    assert sorted(p.name for p in folder.iterdir()) == sorted([hub.CONFIG_NAME, hub.WEIGHTS_NAME, hub.CARD_NAME])
    meta = json.loads((folder / hub.CONFIG_NAME).read_text())
    assert meta["method"] == "tiny-test"
    assert type(model.cfg).from_dict(meta["config"]) == model.cfg
    assert meta["metrics"] == {"mean_x": 0.5}
    raw = (folder / hub.WEIGHTS_NAME).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])  # safetensors: u64 header length, then a JSON header
    header = json.loads(raw[8:8 + n])
    assert set(header) - {"__metadata__"} == {f"G_AB.{k}" for k in model.G_AB.state_dict()}  # no discriminator
    assert not list(folder.glob("*.tmp")) and not list(folder.glob(".*"))


def test_save_load_identity(tiny_ckpt):
    folder, model = tiny_ckpt
    loaded = hub.load_model(folder)
    assert type(loaded) is type(model) and loaded.cfg == model.cfg
    assert not loaded.training
    for k, v in model.inference_state_dict().items():
        assert torch.equal(loaded.inference_state_dict()[k], v), k
    assert torch.equal(loaded.translate(_probe()), model.translate(_probe()))


def test_not_a_checkpoint_folder(tmp_path: Path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(hub.CheckpointError, match="not a checkpoint folder"):
        hub.load_model(tmp_path)


def test_unknown_name_is_a_clear_error():
    with pytest.raises(hub.CheckpointError, match="unknown checkpoint 'no-such-model'"):
        hub.load_model("no-such-model")


def test_corrupt_local_weights(tiny_ckpt):
    folder, _ = tiny_ckpt
    raw = (folder / hub.WEIGHTS_NAME).read_bytes()
    (folder / hub.WEIGHTS_NAME).write_bytes(raw[: len(raw) // 2])  # truncated download
    with pytest.raises(hub.CheckpointError, match="corrupt"):
        hub.load_model(folder)


@pytest.mark.parametrize("key, value, match", [
    ("hidden", 7, "does not fit its config"),  # weights of another architecture
    ("no_such_field", 1, "no_such_field"),  # a config from another version of xdomain
])
def test_config_that_does_not_match(tiny_ckpt, key, value, match):
    folder, _ = tiny_ckpt
    meta = json.loads((folder / hub.CONFIG_NAME).read_text())
    meta["config"][key] = value
    (folder / hub.CONFIG_NAME).write_text(json.dumps(meta))
    with pytest.raises(hub.CheckpointError, match=match):
        hub.load_model(folder)


# --------------------------------------------------------------------------- download path
def test_first_download_then_cached_reload_with_server_gone(hub_env, tiny_ckpt, temp_checkpoint_name, hf_home):
    folder, model = tiny_ckpt
    sha = hub_env.add_files("xdomain-test/tiny", _folder_bytes(folder))
    temp_checkpoint_name("tiny-hub", "xdomain-test/tiny")
    assert not registry.CHECKPOINTS["tiny-hub"].local_dir.exists()

    first = hub.load_model("tiny-hub")
    assert torch.equal(first.translate(_probe()), model.translate(_probe()))
    got = {(m, p) for m, p in hub_env.requests}
    for f in (hub.CONFIG_NAME, hub.WEIGHTS_NAME):
        assert ("GET", f"/xdomain-test/tiny/resolve/main/{f}") in got
    cached = Path(first.checkpoint_dir)
    assert cached.is_relative_to(hf_home) and cached.name == sha  # snapshots/<commit>/

    n_requests = len(hub_env.requests)
    assert hub.resolve("tiny-hub", allow_download=False) == cached  # the cache step needs no network
    assert len(hub_env.requests) == n_requests

    hub_env.stop()  # the Hub is gone (HF_HUB_OFFLINE is not set): the cache must serve it
    again = hub.load_model("tiny-hub")
    assert torch.equal(again.translate(_probe()), model.translate(_probe()))
    assert hub.describe("tiny-hub")["source"] == "hub"


def test_local_folder_wins_over_the_hub(hub_env, tiny_ckpt, temp_checkpoint_name, monkeypatch, tmp_path):
    folder, model = tiny_ckpt
    hub_env.add_files("xdomain-test/tiny", _folder_bytes(folder))
    monkeypatch.setattr(registry, "CHECKPOINT_DIR", tmp_path / "checkpoints")
    spec = temp_checkpoint_name("tiny-local", "xdomain-test/tiny")
    hub.copy_checkpoint(folder, spec.local_dir)
    loaded = hub.load_model("tiny-local")
    assert Path(loaded.checkpoint_dir) == spec.local_dir and hub_env.requests == []
    assert hub.describe("tiny-local")["source"] == "local"
    assert hub.describe("tiny-local")["metrics"] == {"mean_x": 0.5}


def test_download_by_repo_id(hub_env, tiny_ckpt):
    folder, model = tiny_ckpt
    hub_env.add_files("someone/tiny", _folder_bytes(folder))
    loaded = hub.load_model("someone/tiny")
    assert torch.equal(loaded.translate(_probe()), model.translate(_probe()))


def test_download_without_model_card(hub_env, tiny_ckpt):
    folder, _ = tiny_ckpt
    files = _folder_bytes(folder)
    del files[hub.CARD_NAME]
    hub_env.add_files("someone/nocard", files)
    assert hub.load_model("someone/nocard").cfg.hidden == 12


def test_missing_weights_file(hub_env, tiny_ckpt):
    folder, _ = tiny_ckpt
    hub_env.add_files("someone/half", {hub.CONFIG_NAME: (folder / hub.CONFIG_NAME).read_bytes()})
    with pytest.raises(hub.CheckpointError, match="has no model.safetensors"):
        hub.load_model("someone/half")
    assert ("HEAD", "/someone/half/resolve/main/model.safetensors") in hub_env.requests


def test_corrupt_downloaded_safetensors(hub_env, tiny_ckpt):
    folder, _ = tiny_ckpt
    files = _folder_bytes(folder)
    files[hub.WEIGHTS_NAME] = b"<html>502 Bad Gateway</html>"
    hub_env.add_files("someone/corrupt", files)
    with pytest.raises(hub.CheckpointError, match="corrupt or unreadable"):
        hub.load_model("someone/corrupt")


def test_unknown_repo_and_revision(hub_env, tiny_ckpt, temp_checkpoint_name):
    with pytest.raises(hub.CheckpointError, match="not found"):
        hub.load_model("someone/does-not-exist")
    folder, _ = tiny_ckpt
    hub_env.add_files("someone/tiny", _folder_bytes(folder))
    spec = temp_checkpoint_name("tiny-badrev", "someone/tiny")
    object.__setattr__(spec, "revision", "v9")  # frozen dataclass; a pinned revision that does not exist
    with pytest.raises(hub.CheckpointError, match="not found"):
        hub.load_model("tiny-badrev")


def test_unreachable_and_not_cached(hub_env, temp_checkpoint_name, monkeypatch):
    import time

    from huggingface_hub.utils import _http

    class NoSleep:  # huggingface_hub backs off ~24 s before giving up; the outcome is the same without the waits
        def __getattr__(self, name):
            return (lambda s: None) if name == "sleep" else getattr(time, name)

    monkeypatch.setattr(_http, "time", NoSleep())
    temp_checkpoint_name("tiny-nowhere", "xdomain-test/nowhere")
    hub_env.stop()
    with pytest.raises(hub.CheckpointError, match="unreachable"):
        hub.load_model("tiny-nowhere")


def test_no_download_when_disallowed(hub_env, temp_checkpoint_name):
    temp_checkpoint_name("tiny-local-only", "xdomain-test/tiny")
    with pytest.raises(hub.CheckpointError, match="downloads are off"):
        hub.load_model("tiny-local-only", allow_download=False)
    assert hub_env.requests == []


def test_fake_hub_serves_snapshot_download(hub_env, tiny_ckpt, hf_home):
    """The server's API endpoints are right: huggingface_hub's own snapshot_download works."""
    from huggingface_hub import snapshot_download

    folder, _ = tiny_ckpt
    sha = hub_env.add_files("someone/snap", _folder_bytes(folder))
    path = Path(snapshot_download("someone/snap"))
    assert path.name == sha
    assert {p.name for p in path.iterdir()} == {hub.CONFIG_NAME, hub.WEIGHTS_NAME, hub.CARD_NAME}
    assert (path / hub.WEIGHTS_NAME).read_bytes() == (folder / hub.WEIGHTS_NAME).read_bytes()


# --------------------------------------------------------------------------- publishing
def test_publish_then_download_back(hub_env, tiny_ckpt, tmp_path):
    folder, model = tiny_ckpt
    (folder / "train_state.safetensors").write_bytes(b"not for the Hub")  # only inference files ship
    url = hub.publish(folder, "someone/published")
    assert "someone/published" in url
    remote = hub_env.files("someone/published")
    for f, data in _folder_bytes(folder).items():
        assert remote[f] == data, f
    assert "train_state.safetensors" not in remote
    loaded = hub.load_model("someone/published")
    assert torch.equal(loaded.translate(_probe()), model.translate(_probe()))

    # a second publish of a changed folder makes a new commit, and the new weights are served
    torch.manual_seed(11)
    model2 = type(model)(model.cfg)
    hub.save_checkpoint(folder, model2)
    hub.publish(folder, "someone/published")
    assert len(hub_env.repos["someone/published"].commits) == 3  # create + 2 uploads
    fresh = hub.load_model("someone/published")
    assert torch.equal(fresh.translate(_probe()), model2.eval().translate(_probe()))


def test_publish_needs_a_checkpoint_folder(hub_env, tmp_path):
    with pytest.raises(hub.CheckpointError, match="not a checkpoint folder"):
        hub.publish(tmp_path, "someone/empty")
    assert hub_env.requests == []
