"""Shared pytest fixtures.

Sections:
  * environment  — offline, quiet defaults for every test process;
  * data         — the real data root (``xdomain.data.resolve_root()``);
  * hub          — a local Hub server (:mod:`hub_server`) and a huggingface_hub pointed at it;
  * methods      — the test-only method of :mod:`tiny_method`;
  * subprocesses — running ``python -m xdomain ...`` / ``torchrun`` like a user would.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO, child_env

# ----------------------------------------------------------------------------- environment
# Set before anything imports gradio / huggingface_hub: no analytics, telemetry or version checks.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
# No test reaches the real Hub: an uncached checkpoint fails at once instead of after ~24 s of
# retries. The hub tests switch this off for their local server (see ``hub_env``).
os.environ["HF_HUB_OFFLINE"] = "1"


# ----------------------------------------------------------------------------- data
@pytest.fixture(scope="session")
def data_root() -> Path:
    """The staged datasets (``--data-root`` / ``$XDOMAIN_DATA`` / ``../shared/data``)."""
    from xdomain.data import resolve_root

    root = resolve_root()
    if not (root / "mnist" / "mnist.npz").is_file():
        pytest.skip(f"no staged datasets under {root}; set XDOMAIN_DATA to the shared data folder")
    return root


# ----------------------------------------------------------------------------- hub
@pytest.fixture
def fake_hub():
    """A running :class:`hub_server.FakeHub` on 127.0.0.1 (stopped after the test)."""
    from hub_server import FakeHub

    with FakeHub() as hub:
        yield hub


@pytest.fixture
def hf_home(tmp_path: Path) -> Path:
    return tmp_path / "hf_home"


@pytest.fixture
def hub_env(fake_hub, hf_home: Path, monkeypatch: pytest.MonkeyPatch):
    """Point huggingface_hub — in this process and in child processes — at ``fake_hub``.

    ``HF_ENDPOINT``/``HF_HOME`` are read when huggingface_hub is imported, so the module
    constants derived from them are patched as well as the environment (for subprocesses).
    """
    from huggingface_hub import constants

    env = {
        "HF_ENDPOINT": fake_hub.url,
        "HF_HOME": str(hf_home),
        "HF_TOKEN": "hf_fake_test_token",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    for k in ("HF_HUB_OFFLINE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(k, raising=False)
    patches = {
        "ENDPOINT": fake_hub.url,
        "HUGGINGFACE_CO_URL_TEMPLATE": fake_hub.url + "/{repo_id}/resolve/{revision}/{filename}",
        "HF_HOME": str(hf_home),
        "HF_HUB_CACHE": str(hf_home / "hub"),
        "HF_XET_CACHE": str(hf_home / "xet"),
        "HF_ASSETS_CACHE": str(hf_home / "assets"),
        "HF_TOKEN_PATH": str(hf_home / "token"),
        "HF_STORED_TOKENS_PATH": str(hf_home / "stored_tokens"),
        "HF_HUB_OFFLINE": False,
    }
    for k, v in patches.items():
        monkeypatch.setattr(constants, k, v)
    return fake_hub


# ----------------------------------------------------------------------------- methods
@pytest.fixture
def tiny_method():
    """Register the test-only method ``tiny-test`` for the duration of a test."""
    import tiny_method as tm

    tm.register()
    yield tm
    tm.unregister()


# ----------------------------------------------------------------------------- subprocesses
@pytest.fixture
def run_cli():
    """``run_cli("list", "--json")`` → CompletedProcess of ``python -m xdomain ...`` (text, not checked)."""

    def run(*args: str, timeout: float = 240, env: dict[str, str] | None = None, cwd: Path = REPO):
        return subprocess.run([sys.executable, "-m", "xdomain", *map(str, args)], cwd=cwd, env=child_env(**(env or {})),
                              capture_output=True, text=True, timeout=timeout)

    return run
