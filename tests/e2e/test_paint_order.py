"""A visitor's change made while the page is still being painted lands after the paint, not under it.

A tab's first paint (``ui.common.page_default``) can take seconds on a cold server; the Interpolate tab once
showed MNIST digits under a face model because the visitor's model switch finished first and the slow paint
of the old model landed on top. ``ui.common.serialize_with_paints`` puts the paint and every queued event
writing its outputs in one FIFO concurrency group. Here a probe page makes the race certain: its paint takes
2 s, the change is instant and made while the paint runs.
"""
from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import free_port, wait_http

pytestmark = pytest.mark.slow


def _probe_app(serialize: bool):
    import gradio as gr

    from ui import common

    def slow_paint() -> str:
        time.sleep(2.0)
        return "painted: old model"

    with gr.Blocks() as demo:
        model = gr.Dropdown(["old", "new"], value="old", elem_id="probe-model")
        note = gr.Markdown(elem_id="probe-note")
        common.page_default("paint_order_probe", slow_paint, note)
        model.change(lambda m: f"switched: {m} model", model, note)
    common._WARM[:] = [w for w in common._WARM if w[0] != "paint_order_probe"]
    if serialize:
        groups = common.serialize_with_paints(demo)
        assert groups == {"paint-paint_order_probe": ["first_paint_paint_order_probe", "<lambda>"]}, groups
    return demo


def _note_after_early_switch(page, demo) -> str:
    port = free_port()
    demo.queue(default_concurrency_limit=2).launch(server_name="127.0.0.1", server_port=port,
                                                   prevent_thread_lock=True, quiet=True, share=False)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_http(url)
        page.goto(url)
        page.locator("#probe-model input").click()
        page.get_by_role("option", name="new", exact=True).click()  # the paint is still sleeping
        page.wait_for_timeout(4_500)  # paint (2 s) + change, with room to spare
        return page.locator("#probe-note").inner_text()
    finally:
        demo.close()


def test_an_early_model_switch_is_not_painted_over(page):
    assert "switched: new model" in _note_after_early_switch(page, _probe_app(serialize=True))


def test_the_probe_shows_the_race_without_the_ordering(page):
    """The control: without the ordering the slow paint lands last, so the test above can fail."""
    assert "painted: old model" in _note_after_early_switch(page, _probe_app(serialize=False))
