"""The generic training loop on the test-only method (:mod:`tiny_method`): checkpoint folder,
seeding, atomic state writes, interrupt/kill-and-resume equal to an uninterrupted run, torchrun."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from support import REPO, VENV_BIN, child_env
from xdomain import hub, train


@pytest.fixture(autouse=True)
def _restore_threads():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def _cfg(tiny_method, **kw):
    base = dict(steps=12, batch_size=8, ckpt_every=4, log_every=1, eval_limit=32, seed=5, threads=1)
    return tiny_method.TinyConfig(**{**base, **kw})


def _run(tiny_method, out: Path, **kw) -> Path:
    resume = kw.pop("resume", False)
    callback = kw.pop("callback", None)
    return train.train(tiny_method.NAME, _cfg(tiny_method, **kw), out, resume=resume, callback=callback, progress=False)


def _state(out: Path) -> dict[str, torch.Tensor]:
    return load_file(str(out / train.STATE_NAME))


def _assert_same_state(a: Path, b: Path) -> None:
    sa, sb = _state(a), _state(b)
    assert sa.keys() == sb.keys()
    for k in sa:  # every network incl. D, and every Adam moment
        assert torch.equal(sa[k], sb[k]), k


class Interrupt(Exception):
    pass


# --------------------------------------------------------------------------- the checkpoint folder
def test_tiny_run_writes_a_checkpoint_folder(tiny_method, tmp_path):
    out = _run(tiny_method, tmp_path / "run")
    for f in (hub.CONFIG_NAME, hub.WEIGHTS_NAME, hub.CARD_NAME, train.STATE_NAME, train.STATE_META):
        assert (out / f).is_file(), f
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp") or p.name.startswith(".")]
    meta = json.loads((out / hub.CONFIG_NAME).read_text())
    assert meta["method"] == tiny_method.NAME
    assert tiny_method.TinyConfig.from_dict(meta["config"]) == _cfg(tiny_method)
    assert meta["training"]["steps"] == 12 and meta["training"]["world_size"] == 1
    assert meta["training"]["wall_time_s"] >= 0 and set(meta["training"]["last_losses"]) == {"d", "g"}
    assert set(meta["metrics"]) == {"mean_x", "n"} and meta["metrics"]["n"] == 32.0
    card = (out / hub.CARD_NAME).read_text()
    assert "| mean_x |" in card and "python -m xdomain train tiny-test" in card and "Test-only model" in card
    threads = _cfg(tiny_method).threads
    assert f"(one process{f', {threads} CPU thread' if threads else ''}" in card  # how it ran, for a reader timing it
    assert json.loads((out / train.STATE_META).read_text())["step"] == 12

    model = hub.load_model(out)  # the folder is a loadable checkpoint of what was trained
    state = _state(out)
    for k, v in model.inference_state_dict().items():
        assert torch.equal(v, state[f"model.{k}"]), k
    assert not any(k.startswith("D_B") for k in model.inference_state_dict())


def test_no_eval_writes_empty_metrics(tiny_method, tmp_path):
    out = train.train(tiny_method.NAME, _cfg(tiny_method, steps=2), tmp_path / "r", evaluate=False, progress=False)
    assert json.loads((out / hub.CONFIG_NAME).read_text())["metrics"] == {}


def test_training_changes_the_weights(tiny_method, tmp_path):
    torch.manual_seed(5)
    init = tiny_method.TinyMethod(_cfg(tiny_method)).state_dict()
    out = _run(tiny_method, tmp_path / "r")
    state = _state(out)
    assert any(not torch.equal(state[f"model.{k}"], v) for k, v in init.items())


# --------------------------------------------------------------------------- seeding
def test_same_seed_same_weights_other_seed_differs(tiny_method, tmp_path):
    a = _run(tiny_method, tmp_path / "a", steps=6)
    b = _run(tiny_method, tmp_path / "b", steps=6)
    c = _run(tiny_method, tmp_path / "c", steps=6, seed=6)
    _assert_same_state(a, b)
    sa, sc = _state(a), _state(c)
    assert any(not torch.equal(sa[k], sc[k]) for k in sa if k.startswith("model."))


def test_batches_depend_on_seed_rank_and_step():
    def draw(seed, rank, step):
        return torch.randint(0, 10**6, (4,), generator=train.batch_generator(seed, rank, step))

    assert torch.equal(draw(1, 0, 5), draw(1, 0, 5))
    assert not torch.equal(draw(1, 0, 5), draw(1, 1, 5))  # ranks see different data
    assert not torch.equal(draw(1, 0, 5), draw(1, 0, 6))
    assert not torch.equal(draw(1, 0, 5), draw(2, 0, 5))


# --------------------------------------------------------------------------- resuming
def test_interrupt_then_resume_equals_uninterrupted(tiny_method, tmp_path):
    straight = _run(tiny_method, tmp_path / "straight")

    def stop_at_10(step, model, logs):
        if step == 9:  # steps 0..9 done; the last state on disk is from step 8
            raise Interrupt

    with pytest.raises(Interrupt):
        _run(tiny_method, tmp_path / "cut", callback=stop_at_10)
    assert json.loads((tmp_path / "cut" / train.STATE_META).read_text())["step"] == 8
    assert not (tmp_path / "cut" / hub.WEIGHTS_NAME).exists()  # no final checkpoint from a cut run

    seen: list[int] = []
    _run(tiny_method, tmp_path / "cut", resume=True, callback=lambda s, m, l: seen.append(s))
    assert seen == [8, 9, 10, 11]  # continues exactly where the state on disk stopped
    _assert_same_state(straight, tmp_path / "cut")
    assert torch.equal(load_file(str(straight / hub.WEIGHTS_NAME))["G_AB.0.weight"],
                       load_file(str(tmp_path / "cut" / hub.WEIGHTS_NAME))["G_AB.0.weight"])


def test_resume_without_state_starts_from_scratch(tiny_method, tmp_path):
    seen: list[int] = []
    _run(tiny_method, tmp_path / "fresh", steps=3, resume=True, callback=lambda s, m, l: seen.append(s))
    assert seen == [0, 1, 2]


def test_resume_of_a_finished_run_is_a_no_op(tiny_method, tmp_path):
    out = _run(tiny_method, tmp_path / "done", steps=4)
    before = _state(out)
    seen: list[int] = []
    _run(tiny_method, out, steps=4, resume=True, callback=lambda s, m, l: seen.append(s))
    assert seen == []
    after = _state(out)
    assert all(torch.equal(before[k], after[k]) for k in before)


# --------------------------------------------------------------------------- atomic writes
def test_atomic_save_keeps_the_old_file_when_a_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "state.safetensors"
    hub.atomic_save_tensors(path, {"w": torch.ones(3)})

    def dies_midway(tensors, filename, metadata=None):
        Path(filename).write_bytes(b"partial")
        raise KeyboardInterrupt  # e.g. Ctrl-C while writing

    monkeypatch.setattr("safetensors.torch.save_file", dies_midway)  # hub imports it when it writes
    with pytest.raises(KeyboardInterrupt):
        hub.atomic_save_tensors(path, {"w": torch.zeros(3)})
    assert torch.equal(load_file(str(path))["w"], torch.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["state.safetensors"]

    hub.atomic_write_bytes(tmp_path / "a.json", b"{}")
    assert (tmp_path / "a.json").read_bytes() == b"{}" and len(list(tmp_path.iterdir())) == 2


def test_atomic_writes_give_files_the_normal_mode(tmp_path):
    """Not mkstemp's private 0600: an exported checkpoint is as readable as a file written by open()."""
    (tmp_path / "plain").write_bytes(b"x")
    want = (tmp_path / "plain").stat().st_mode & 0o777
    hub.atomic_write_bytes(tmp_path / "a.json", b"{}")
    hub.atomic_save_tensors(tmp_path / "w.safetensors", {"w": torch.ones(1)})
    assert want == hub.FILE_MODE
    assert [(tmp_path / n).stat().st_mode & 0o777 for n in ("a.json", "w.safetensors")] == [want, want]


_DRIVER = """
import sys
import tiny_method
tiny_method.register()
from xdomain.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_kill_minus_nine_then_resume_equals_uninterrupted(tiny_method, tmp_path):
    """A real SIGKILL of ``python -m xdomain train`` mid-run, then ``--resume``."""
    driver = tmp_path / "driver.py"
    driver.write_text(_DRIVER)
    steps, every = 400, 20
    sets = [f"steps={steps}", f"ckpt_every={every}", "batch_size=8", "seed=5", "threads=1", "log_every=1000",
            "eval_limit=32"]
    args = [sys.executable, str(driver), "train", tiny_method.NAME, "--out", str(tmp_path / "killed"), "--no-eval"]
    args += [a for s in sets for a in ("--set", s)]
    proc = subprocess.Popen(args, cwd=REPO, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    meta = tmp_path / "killed" / train.STATE_META
    deadline = time.time() + 180
    try:
        while time.time() < deadline and proc.poll() is None:
            if meta.exists() and json.loads(meta.read_text() or "{}").get("step", 0) >= 2 * every:
                break
            time.sleep(0.05)
        assert proc.poll() is None, f"training ended before it could be killed: {proc.communicate()[1][-1500:]}"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    killed_at = json.loads(meta.read_text())["step"]
    assert 0 < killed_at < steps and not (tmp_path / "killed" / hub.WEIGHTS_NAME).exists()

    r = subprocess.run(args + ["--resume"], cwd=REPO, env=child_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"resumed {tmp_path / 'killed'} at step" in r.stdout
    straight = train.train(tiny_method.NAME, tiny_method.TinyConfig(steps=steps, ckpt_every=every, batch_size=8, seed=5,
                                                                    threads=1, log_every=1000, eval_limit=32),
                           tmp_path / "straight", evaluate=False, progress=False)  # same process type, same bits
    _assert_same_state(straight, tmp_path / "killed")


# --------------------------------------------------------------------------- torchrun
_DDP_DRIVER = """
import json, os, sys
import torch
import torch.distributed as dist
import tiny_method
tiny_method.register()
from xdomain import train

out, steps = sys.argv[1], int(sys.argv[2])
report = {}

def check(step, model, logs):
    if step == steps - 1:  # after the last update every rank must hold the same weights
        flat = torch.cat([p.detach().flatten() for p in model.parameters()])
        got = [torch.empty_like(flat) for _ in range(dist.get_world_size())]
        dist.all_gather(got, flat)
        report["same_weights"] = all(torch.equal(got[0], g) for g in got)
        report["world"] = dist.get_world_size()

cfg = tiny_method.TinyConfig(steps=steps, batch_size=8, ckpt_every=5, seed=5, threads=1, eval_limit=32)
train.train(tiny_method.NAME, cfg, out, callback=check, progress=False)
with open(f"{out}/rank{os.environ['RANK']}.json", "w") as f:
    json.dump(report, f)
"""


@pytest.mark.slow
def test_torchrun_two_processes_keep_replicas_in_sync(tiny_method, tmp_path):
    driver = tmp_path / "ddp_driver.py"
    driver.write_text(_DDP_DRIVER)
    out = tmp_path / "ddp"
    out.mkdir()
    r = subprocess.run([str(VENV_BIN / "torchrun"), "--standalone", "--nproc_per_node=2", str(driver), str(out), "10"],
                       cwd=REPO, env=child_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    reports = [json.loads(p.read_text()) for p in sorted(out.glob("rank*.json"))]
    assert len(reports) == 2 and all(rep == {"same_weights": True, "world": 2} for rep in reports)
    meta = json.loads((out / hub.CONFIG_NAME).read_text())
    assert meta["training"]["world_size"] == 2
    single = train.train(tiny_method.NAME, tiny_method.TinyConfig(steps=10, batch_size=8, ckpt_every=5, seed=5,
                                                                  threads=1, eval_limit=32),
                         tmp_path / "single", progress=False)
    a, b = _state(out), _state(single)
    assert any(not torch.equal(a[k], b[k]) for k in a if k.startswith("model.")), \
        "two ranks drew the same batches as one process: data is not sharded by rank"
