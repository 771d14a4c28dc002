"""A test run never rewrites tracked files: the browser tests' screenshots go to the git-ignored
``tests/artifacts/screenshots/`` unless ``XDOMAIN_SCREENSHOTS=1`` asks for the README's ``docs/screenshots/``.
(Fast: no browser; ``shot`` is driven with a stand-in page.)"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import support
from support import DOCS_SCREENSHOTS, REPO, screenshot_dir


@pytest.mark.parametrize("environ", [{}, {"XDOMAIN_SCREENSHOTS": "0"}, {"XDOMAIN_SCREENSHOTS": ""}])
def test_default_destination_is_git_ignored_not_docs(environ):
    folder = screenshot_dir(environ)
    assert folder != DOCS_SCREENSHOTS and not folder.is_relative_to(REPO / "docs")
    assert folder.is_relative_to(REPO / "tests" / "artifacts")
    assert "tests/artifacts/" in (REPO / ".gitignore").read_text().splitlines()
    if shutil.which("git") and (REPO / ".git").exists():  # and git agrees
        probe = (folder / "probe.png").relative_to(REPO)
        r = subprocess.run(["git", "check-ignore", "-q", str(probe)], cwd=REPO, capture_output=True, timeout=30)
        assert r.returncode == 0, f"{probe} is not git-ignored"


def test_opt_in_writes_the_readme_screenshots():
    assert screenshot_dir({"XDOMAIN_SCREENSHOTS": "1"}) == REPO / "docs" / "screenshots"


class _Page:
    """Stands in for a Playwright page: records where it was asked to save."""

    def __init__(self):
        self.paths: list[Path] = []

    def screenshot(self, path: str, full_page: bool = False) -> None:
        self.paths.append(Path(path))


@pytest.mark.parametrize("opt_in", [False, True])
def test_shot_saves_where_screenshot_dir_says(monkeypatch, tmp_path, opt_in):
    from tests.e2e.conftest import shot

    monkeypatch.setattr(support, "TEST_SCREENSHOTS", tmp_path / "artifacts")  # nothing is written in the repo
    if opt_in:
        monkeypatch.setenv("XDOMAIN_SCREENSHOTS", "1")
    else:
        monkeypatch.delenv("XDOMAIN_SCREENSHOTS", raising=False)
    page = _Page()
    path = shot(page, "tab-x")
    assert page.paths == [path]
    if opt_in:
        assert path == DOCS_SCREENSHOTS / "tab-x.png"
    else:
        assert path == tmp_path / "artifacts" / "tab-x.png" and path.parent.is_dir()
        assert not path.is_relative_to(REPO / "docs")
