"""End-to-end fixtures: the real app served on 127.0.0.1, gradio_client, and Playwright driving
Debian's headless Chromium (never a browser Playwright downloads itself)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from support import screenshot_dir

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("XDOMAIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 90.0, proc: subprocess.Popen | None = None) -> None:
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"app exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read(64)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer in {timeout} s")


@pytest.fixture(scope="session")
def app_url():
    """The app, launched in-process on a free loopback port."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import app

    port = free_port()
    app.demo.queue(default_concurrency_limit=2).launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
        max_file_size=app.MAX_UPLOAD, share=False)
    url = f"http://127.0.0.1:{port}/"
    wait_http(url)
    yield url
    app.demo.close()


@pytest.fixture(scope="session")
def empty_data_app_url(tmp_path_factory):
    """The app in a child process with XDOMAIN_DATA pointing at an empty folder (a user's fresh machine)."""
    empty = tmp_path_factory.mktemp("empty-data")
    port = free_port()
    env = dict(os.environ, XDOMAIN_DATA=str(empty), GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    log = open(tmp_path_factory.mktemp("logs") / "app.log", "w")
    proc = subprocess.Popen([sys.executable, str(REPO / "app.py"), "--port", str(port), "--no-browser"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_http(url, proc=proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client

    # plain HTTP on loopback: ssl_verify=False only spares the client loading the CA bundle for every
    # request (~47 ms each, 3-4 per call; see bench/common.py)
    return Client(app_url, verbose=False, ssl_verify=False)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (./run.sh test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page that records every request; the test fails if one leaves the loopback."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    requests: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    yield pg
    ctx.close()
    outside = [u for u in requests
               if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).hostname not in LOCAL_HOSTS]
    assert not outside, f"requests left 127.0.0.1: {outside[:5]}"


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as ``<name>.png`` in :func:`support.screenshot_dir`: by default the
    git-ignored ``tests/artifacts/screenshots/`` (a test run never rewrites tracked files); with the
    environment variable ``XDOMAIN_SCREENSHOTS=1`` in ``docs/screenshots/``, the README's pictures:
    ``XDOMAIN_SCREENSHOTS=1 ./run.sh test tests/e2e`` refreshes them."""
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_tab(page, module: str) -> None:
    """Click a top-level tab by its id (the tab button carries the label)."""
    import app

    label = {m: lbl for m, lbl, _ in app.TABS}[module]
    page.get_by_role("tab", name=label).click()
    page.wait_for_timeout(300)


def require_landed(name: str) -> None:
    """Skip the calling test when checkpoint ``name`` has not landed (its folder is missing)."""
    from ui.common import checkpoint_status

    if checkpoint_status(name) is not None:
        pytest.skip(f"{name} has not landed yet")
