"""The whole app in a real browser and through gradio_client."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import open_tab, shot

pytestmark = pytest.mark.slow

ERROR_TEXTS = ("Traceback", "Error", "error")


def _visible_error_toasts(page) -> list[str]:
    return [t for t in page.locator(".toast-body").all_inner_texts() if t.strip()]


def test_every_tab_opens_in_chromium(app_url, page):
    import app

    page.goto(app_url)
    page.get_by_text("xdomain").first.wait_for()
    for module, label, _ in app.TABS:
        open_tab(page, module)
        panel = page.locator(f"#tab-{module}")
        panel.wait_for(state="visible")
        assert "Traceback" not in panel.inner_text()
        shot(page, f"tab-{module}")
    assert not _visible_error_toasts(page)


def test_every_tab_opens_without_data(empty_data_app_url, page):
    import app

    page.goto(empty_data_app_url)
    page.get_by_text("xdomain").first.wait_for()
    for module, label, _ in app.TABS:
        open_tab(page, module)
        panel = page.locator(f"#tab-{module}")
        panel.wait_for(state="visible")
        assert "Traceback" not in panel.inner_text()
    assert not _visible_error_toasts(page)


def test_api_lists_named_endpoints(client):
    info = client.view_api(return_format="dict", print_info=False)
    names = set(info["named_endpoints"])
    assert names, "the app exposes no named API endpoints"
