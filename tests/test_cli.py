"""``python -m xdomain`` — the contract other tools and checks rely on.

A few commands run as real subprocesses (what a user or CI types); the many error cases run
``xdomain.cli.main`` in-process, which is the same code without paying torch's import each time.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from support import REPO, VENV_BIN, child_env, importable_methods

from xdomain import cli, hub, registry

TOY_SETS = ["steps=4", "batch_size=16", "g_hidden=8", "d_hidden=8", "n_train=256", "eval_limit=64", "threads=1"]


def _sets(items: list[str]) -> list[str]:
    return [a for s in items for a in ("--set", s)]


@pytest.fixture(autouse=True)
def _restore_threads():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def _tiny_checkpoint(name: str, folder: Path) -> Path:
    cls = registry.get_method(name)
    torch.manual_seed(0)
    return hub.save_checkpoint(folder, cls(cls.tiny_config()).eval())


def _assert_one_line_error(r) -> None:
    assert r.returncode != 0
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr


# --------------------------------------------------------------------------- subprocesses
@pytest.mark.slow
def test_list_json_names_every_registered_checkpoint(run_cli):
    r = run_cli("list", "--all", "--json")  # without --all: only the models the app offers (test_list_text)
    assert r.returncode == 0, r.stderr[-2000:]
    data = json.loads(r.stdout.strip().splitlines()[-1])
    assert {m["name"] for m in data["methods"]} == set(registry.METHODS)
    assert [c["name"] for c in data["checkpoints"]] == list(registry.CHECKPOINTS)
    for c in data["checkpoints"]:
        assert {"name", "method", "dataset", "source", "metrics", "repo_id"} <= set(c)
        assert c["source"] in ("local", "hub") and isinstance(c["metrics"], dict)
        assert c["method"] == registry.CHECKPOINTS[c["name"]].method


@pytest.mark.slow
def test_train_then_eval_json_via_cli(run_cli, tmp_path):
    out = tmp_path / "toy"
    r = run_cli("train", "toy2d", "--out", out, *_sets(TOY_SETS))
    assert r.returncode == 0, r.stderr[-2000:]
    for f in (hub.CONFIG_NAME, hub.WEIGHTS_NAME, hub.CARD_NAME):
        assert (out / f).is_file()
    meta = json.loads((out / hub.CONFIG_NAME).read_text())
    assert meta["method"] == "toy2d" and meta["config"]["steps"] == 4 and meta["metrics"]

    r = run_cli("eval", out, "--json", "--limit", "64")
    assert r.returncode == 0, r.stderr[-2000:]
    last = json.loads(r.stdout.strip().splitlines()[-1])
    assert isinstance(last, dict) and set(last) == set(meta["metrics"])
    for k, v in meta["metrics"].items():  # eval recomputes the numbers written at the end of training
        assert last[k] == pytest.approx(v, rel=1e-5, abs=1e-6), k


@pytest.mark.slow
def test_train_runs_unchanged_under_torchrun(tmp_path):
    out = tmp_path / "ddp"
    r = subprocess.run([str(VENV_BIN / "torchrun"), "--standalone", "--nproc_per_node=2", "-m", "xdomain", "train",
                        "toy2d", "--out", str(out), *_sets(TOY_SETS)],
                       cwd=REPO, env=child_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    assert r.stdout.count("wrote ") == 1  # only rank 0 reports and writes
    meta = json.loads((out / hub.CONFIG_NAME).read_text())
    assert meta["training"]["world_size"] == 2 and meta["metrics"]
    assert hub.load_model(out).cfg.steps == 4


@pytest.mark.slow
def test_unknown_checkpoint_subprocess(run_cli):
    _assert_one_line_error(run_cli("eval", "no-such-checkpoint", "--json"))


@pytest.mark.slow
def test_translate_writes_a_png_via_cli(run_cli, tmp_path):
    name = next((n for n in importable_methods() if n == "disentangle"), None) or pytest.skip("no image translator yet")
    ckpt = _tiny_checkpoint(name, tmp_path / "ckpt")
    src = tmp_path / "in.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (50, 70, 3), dtype=np.uint8)).save(src)
    out = tmp_path / "out.png"
    r = run_cli("translate", ckpt, "--input", src, "--output", out, "--seed", "3")
    assert r.returncode == 0, r.stderr[-2000:]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    size = registry.get_method(name).tiny_config().image_size
    with Image.open(out) as im:
        assert im.size == (size, size)


@pytest.mark.slow
def test_publish_via_cli_then_download_back(run_cli, hub_env, tmp_path):
    ckpt = _tiny_checkpoint("toy2d", tmp_path / "toy")
    r = run_cli("publish", ckpt, "--repo-id", "someone/toy")  # HF_ENDPOINT/HF_TOKEN come from the environment
    assert r.returncode == 0, r.stderr[-2000:]
    remote = hub_env.files("someone/toy")
    for f in (hub.CONFIG_NAME, hub.WEIGHTS_NAME):
        assert remote[f] == (ckpt / f).read_bytes()
    r = run_cli("eval", "someone/toy", "--json", "--limit", "32")  # resolves the repo id, downloads, evaluates
    assert r.returncode == 0, r.stderr[-2000:]
    assert isinstance(json.loads(r.stdout.strip().splitlines()[-1]), dict)
    assert ("GET", "/someone/toy/resolve/main/model.safetensors") in hub_env.requests


# --------------------------------------------------------------------------- in-process (same code path)
def _main(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(code: int, err: str, match: str) -> None:
    assert code != 0
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and match in lines[0], err


def test_list_text(capsys):
    """``list`` names the methods and the offered models with their labels; ``--all`` adds the rest."""
    code, out, _ = _main(capsys, "list")
    assert code == 0
    offered = [c for c in registry.CHECKPOINTS.values() if c.offered]
    evidence = [c for c in registry.CHECKPOINTS.values() if not c.offered]
    assert offered and evidence
    for name in registry.METHODS:
        assert name in out
    for c in offered:
        assert c.name in out and c.label in out
    for c in evidence:
        assert f"  {c.name} " not in out
    code, out_all, _ = _main(capsys, "list", "--all")
    assert code == 0 and all(c.name in out_all for c in evidence)


@pytest.mark.parametrize("args, match", [
    (["eval", "no-such-checkpoint"], "unknown checkpoint 'no-such-checkpoint'"),
    (["translate", "no-such-checkpoint", "--input", "x.png", "--output", "y.png"], "unknown checkpoint"),
    (["train", "no-such-method"], "unknown method 'no-such-method'"),
    (["train", "toy2d", "--set", "nosuchkey=1"], "unknown config key 'nosuchkey'"),
    (["train", "toy2d", "--set", "steps=many"], "bad value for config key 'steps'"),
    (["publish", ".", "--repo-id", "someone/x"], "not a checkpoint folder"),
])
def test_user_errors_are_one_line(capsys, args, match):
    code, _, err = _main(capsys, *args)
    _one_line(code, err, match)


def test_missing_data_is_one_line(capsys, tmp_path):
    name = "disentangle" if "disentangle" in importable_methods() else pytest.skip("disentangle not importable")
    code, _, err = _main(capsys, "train", name, "--data-root", tmp_path, "--out", tmp_path / "o", "--set", "steps=1")
    _one_line(code, err, str(tmp_path / "mnist" / "mnist.npz"))


def test_corrupt_checkpoint_is_one_line(capsys, tmp_path):
    ckpt = _tiny_checkpoint("toy2d", tmp_path / "toy")
    (ckpt / hub.WEIGHTS_NAME).write_bytes(b"\0" * 10)
    code, _, err = _main(capsys, "eval", ckpt)
    _one_line(code, err, "corrupt")


@pytest.mark.parametrize("name", importable_methods())
def test_translate_every_method(capsys, tmp_path, name):
    """Image translators write a PNG of their size; others (toy points, classifiers) say so in one line."""
    ckpt = _tiny_checkpoint(name, tmp_path / name)
    src, out = tmp_path / "in.png", tmp_path / "out.png"
    Image.new("RGB", (40, 30), (200, 30, 30)).save(src)
    model = hub.load_model(ckpt)
    image_translator = model.kind == "translator" and model.input_kind == "image"  # the contract says so
    code, stdout, err = _main(capsys, "translate", ckpt, "--input", src, "--output", out)
    if image_translator:
        assert code == 0, err
        with Image.open(out) as im:
            assert im.size == (model.image_size, model.image_size)
    else:
        _one_line(code, err, "")
        assert not out.exists()


def test_bad_input_image_is_one_line(capsys, tmp_path):
    translators = [n for n in importable_methods() if hasattr(registry.get_method(n).tiny_config(), "image_size")
                   and n != "classifier"]
    ckpt = _tiny_checkpoint(translators[0] if translators else pytest.skip("no image translator"), tmp_path / "m")
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    code, _, err = _main(capsys, "translate", ckpt, "--input", bad, "--output", tmp_path / "o.png")
    _one_line(code, err, "not an image")


def test_train_resume_via_cli_main(capsys, tmp_path):
    out = tmp_path / "toy"
    code, stdout, err = _main(capsys, "train", "toy2d", "--out", out, "--no-eval", *_sets(TOY_SETS))
    assert code == 0, err
    assert json.loads((out / hub.CONFIG_NAME).read_text())["metrics"] == {}
    code, stdout, err = _main(capsys, "train", "toy2d", "--out", out, "--resume", "--set", "steps=6", "--no-eval")
    assert code == 0, err
    assert f"resumed {out} at step 4" in stdout
    meta = json.loads((out / hub.CONFIG_NAME).read_text())
    assert meta["config"]["steps"] == 6 and meta["config"]["g_hidden"] == 8  # config came from the saved state


def test_train_set_preset_starts_from_that_preset(capsys, tmp_path, monkeypatch):
    """``--set preset=faces`` trains the preset's configuration (not the defaults with the name recorded);
    other ``--set`` items apply on top; a config file and a preset together are refused in one line."""
    from xdomain import train

    seen = []
    monkeypatch.setattr(train, "train", lambda cls, cfg, out, **kw: seen.append(cfg) or out)
    code, _, err = _main(capsys, "train", "unit", "--out", tmp_path / "u", "--set", "preset=faces", "--set", "seed=3")
    assert code == 0, err
    want = registry.get_method("unit").preset("faces", seed=3)
    assert seen[-1] == want and seen[-1].dataset == "celeba_Male" and seen[-1].image_size == 64
    cfg_file = tmp_path / "c.json"
    cfg_file.write_text(json.dumps({"steps": 5}))
    code, _, err = _main(capsys, "train", "unit", "--config", cfg_file, "--set", "preset=faces")
    _one_line(code, err, "either --config or --set preset=NAME")
    code, _, err = _main(capsys, "train", "unit", "--set", "preset=nope")
    _one_line(code, err, "unknown unit preset 'nope'")
    code, _, err = _main(capsys, "train", "unit", "--set", "preset")  # no '=': the usual one-line --set error
    _one_line(code, err, "--set expects key=value")


# --------------------------------------------------------------------------- installed package (pyproject.toml)
def _env_without_repo() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"
    return env


def test_python_m_xdomain_works_outside_the_repo(tmp_path):
    """``python -m xdomain`` from any folder, the repo not on PYTHONPATH: the venv has the package installed
    (run.sh: ``pip install --no-deps --no-build-isolation -e .``)."""
    r = subprocess.run([sys.executable, "-m", "xdomain", "list"], cwd=tmp_path, env=_env_without_repo(),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, "xdomain is not installed in this venv? run ./run.sh test once\n" + r.stderr[-2000:]
    assert "methods:" in r.stdout and "discogan" in r.stdout


def test_console_script_help(tmp_path):
    script = Path(sys.executable).parent / "xdomain"
    if not script.is_file():
        pytest.skip(f"no {script}: the xdomain console script is installed by ./run.sh into its .venv")
    r = subprocess.run([str(script), "--help"], cwd=tmp_path, env=_env_without_repo(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.startswith("usage: xdomain ") and "translate" in r.stdout


def test_installed_version_is_the_package_version():
    import importlib.metadata

    import xdomain

    try:
        installed = importlib.metadata.version("xdomain")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("xdomain is not pip-installed in this interpreter (./run.sh installs it)")
    assert installed == xdomain.__version__
    assert 'attr = "xdomain.__version__"' in (REPO / "pyproject.toml").read_text()


# --------------------------------------------------------------------------- help text
def _options(parser: argparse.ArgumentParser):
    """(subcommand, option) for every argument of every subcommand."""
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert {"list", "train", "eval", "translate", "publish", "export"} <= set(subs.choices)
    for cmd, sp in subs.choices.items():
        for action in sp._actions:
            if not isinstance(action, argparse._HelpAction):
                yield cmd, action


def test_every_option_has_help():
    options = list(_options(cli.build_parser()))
    assert {c for c, _ in options} == {"list", "train", "eval", "translate", "publish", "export"}
    missing = [f"{cmd} {'/'.join(a.option_strings) or a.dest}" for cmd, a in options
               if not (a.help or "").strip() or a.help == argparse.SUPPRESS]
    assert not missing, f"options without help text: {missing}"


# --------------------------------------------------------------------------- translate: face photos
FACE_CKPT = "discogan-celeba-male"


@pytest.fixture(scope="module")
def face_model():
    try:
        return hub.load_model(FACE_CKPT, allow_download=False)
    except hub.CheckpointError as e:
        pytest.skip(f"{FACE_CKPT} is not available: {e}")


def test_translate_face_photo_matches_the_app(capsys, tmp_path, face_model, data_root):
    """A photo with a face: the CLI writes exactly the app's output (face crop → model), not a squashed photo."""
    from xdomain import face
    from xdomain.explore import faces
    from xdomain.imageio import open_image, to_tensor

    if not faces.celeba_available(data_root):
        pytest.skip("the CelebA faces are not under the data root")
    photo, out = tmp_path / "photo.png", tmp_path / "out.png"
    Image.fromarray(faces.example_photo(3, data_root)).save(photo)  # a test face (one Haar finds) in a 640×480 canvas

    code, stdout, err = _main(capsys, "translate", FACE_CKPT, "--input", photo, "--output", out)
    assert code == 0, err
    assert "Found 1 face." in stdout

    # the app's pipeline (ui/tabs/face.py _process → _translate), without gradio
    crop = face.face_crop(open_image(photo), use_whole_image=False)
    assert crop.image is not None and crop.image.size == (64, 64)
    x = torch.from_numpy(np.array(crop.image)).permute(2, 0, 1)[None].float() / 127.5 - 1
    with torch.no_grad():
        y = face_model.translate(x, "a2b")
    expected = ((y[0].clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()  # ui.common.to_uint8
    with Image.open(out) as im:
        assert im.format == "PNG" and im.mode == "RGB" and im.size == (64, 64)
        got = np.asarray(im)
    np.testing.assert_array_equal(got, expected)

    with torch.no_grad():  # the old behaviour (whole photo squashed to 64×64) gives something else
        squashed = face_model.translate(to_tensor(open_image(photo), 64), "a2b")
    old = ((squashed[0].clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()
    assert np.abs(old.astype(int) - expected.astype(int)).mean() > 5


def test_translate_face_model_without_a_face(capsys, tmp_path, face_model):
    """No face: one line on stderr naming --whole-image, exit 2, nothing written; --whole-image then works."""
    photo, out = tmp_path / "wall.png", tmp_path / "out.png"
    Image.new("RGB", (120, 90), (140, 150, 160)).save(photo)
    code, _, err = _main(capsys, "translate", FACE_CKPT, "--input", photo, "--output", out)
    assert code == 2
    _one_line(code, err, "--whole-image")
    assert "no face found" in err and not out.exists()

    code, stdout, err = _main(capsys, "translate", FACE_CKPT, "--input", photo, "--output", out, "--whole-image")
    assert code == 0, err
    assert "whole image" in stdout
    with Image.open(out) as im:
        assert im.size == (64, 64)
