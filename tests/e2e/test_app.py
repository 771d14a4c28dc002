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


def test_the_app_opens_on_the_face_tab_with_a_result(app_url, page):
    """The headline feature is the first tab, and it is not empty on arrival."""
    import app

    assert app.TABS[0][0] == "face"
    page.goto(app_url)
    page.locator("#face-output img").first.wait_for(state="visible", timeout=60_000)


def test_no_dropdown_shows_a_raw_checkpoint_name(app_url, page):
    """Every model dropdown in every tab names models the way a person would, never by checkpoint name."""
    import app
    from xdomain import registry

    raw = set(registry.CHECKPOINTS)
    page.goto(app_url)
    page.get_by_text("xdomain").first.wait_for()
    seen = []
    for module, _label, _ in app.TABS:
        open_tab(page, module)
        for dd in page.locator(f"#tab-{module} input[role=combobox]").all():
            if not dd.is_visible():
                continue
            dd.click()
            options = [o.replace("✓", "").strip() for o in page.get_by_role("option").all_inner_texts()]
            page.keyboard.press("Escape")
            seen += options
            assert not raw & set(options), f"{module}: raw checkpoint names offered: {sorted(raw & set(options))}"
            assert not [o for o in options if any(o.startswith(n) for n in raw)], options
    assert seen, "no dropdown options were read"


def test_every_tab_opens_without_data(empty_data_app_url, page):
    """A user's fresh machine: XDOMAIN_DATA is an empty folder; every tab still opens."""
    _open_every_tab(page, empty_data_app_url, None)


def test_api_lists_named_endpoints(client):
    info = client.view_api(return_format="dict", print_info=False)
    names = set(info["named_endpoints"])
    assert names, "the app exposes no named API endpoints"


def test_retrieve_tab_opens_with_neighbours(app_url, page):
    """The Retrieve tab shows the first test image's neighbours on arrival (no three empty galleries);
    its feature index is built in the background while the app starts."""
    page.goto(app_url)
    page.get_by_text("xdomain").first.wait_for()
    open_tab(page, "retrieve")
    for kind in ("shared", "exclusive", "pixels"):
        page.locator(f"#retrieve-{kind} img").first.wait_for(state="visible", timeout=60_000)
    assert "Query" in page.locator("#retrieve-summary").inner_text()
