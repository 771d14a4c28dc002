"""The whole app in a real browser and through gradio_client."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_tab, shot

pytestmark = pytest.mark.slow

def _visible_error_toasts(page) -> list[str]:
    return [t for t in page.locator(".toast-body").all_inner_texts() if t.strip()]


def _open_every_tab(page, url: str, screenshot_prefix: str | None) -> None:
    import app

    page.goto(url)
    page.get_by_text("xdomain").first.wait_for()
    for module, _label, _ in app.TABS:
        open_tab(page, module)
        panel = page.locator(f"#tab-{module}")
        panel.wait_for(state="visible")
        assert "Traceback" not in panel.inner_text()
        if screenshot_prefix:
            shot(page, f"{screenshot_prefix}{module}")
    assert not _visible_error_toasts(page)


def test_every_tab_opens_in_chromium(app_url, page):
    _open_every_tab(page, app_url, "tab-")


def test_every_tab_opens_without_data(empty_data_app_url, page):
    """A user's fresh machine: XDOMAIN_DATA is an empty folder; every tab still opens."""
    _open_every_tab(page, empty_data_app_url, None)


def test_api_lists_named_endpoints(client):
    info = client.view_api(return_format="dict", print_info=False)
    names = set(info["named_endpoints"])
    assert names, "the app exposes no named API endpoints"
