"""Adding a method takes one file + its registry lines + its config: a test-only image translator
(:mod:`tiny_translator`), registered only here, trains with the generic loop, appears in the CLI's
``list``, translates a file through ``translate`` and is offered — under its label — in the app's
Translate tab, served through gradio_client, with no other file of the repo touched."""
from __future__ import annotations

import json
import os
import tempfile

import numpy as np
import pytest
from PIL import Image

import tiny_translator as tt
from xdomain import cli, registry, train


@pytest.fixture
def tiny_image(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "CHECKPOINT_DIR", tmp_path / "checkpoints")  # not the repo's checkpoints/
    tt.register()
    cfg = tt.TinyImage.tiny_config()
    train.train(tt.NAME, cfg, registry.CHECKPOINT_DIR / tt.CHECKPOINT, data_root=tmp_path, progress=False)
    yield tt
    tt.unregister()


def test_cli_lists_and_translates_the_new_method(tiny_image, tmp_path, capsys):
    assert cli.main(["list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert tt.NAME in [m["name"] for m in listed["methods"]]
    (ck,) = [c for c in listed["checkpoints"] if c["name"] == tt.CHECKPOINT]
    assert ck["offered"] and ck["label"] == "Dark ↔ Light squares (test)" and ck["source"] == "local"
    src, out = tmp_path / "in.png", tmp_path / "out.png"
    Image.new("L", (8, 8), 20).save(src)
    assert cli.main(["translate", tt.CHECKPOINT, "--input", str(src), "--output", str(out), "--direction", "b2a"]) == 0
    with Image.open(out) as im:
        assert im.size == (8, 8)


@pytest.mark.slow
def test_translate_tab_offers_the_new_method(tiny_image):
    import gradio as gr
    from gradio_client import Client, handle_file

    from ui import common
    from ui.tabs import translate

    common._models.clear()
    with gr.Blocks() as demo:
        translate.build()
    dropdowns = [b for b in demo.blocks.values() if isinstance(b, gr.Dropdown) and b.elem_id == "translate-model"]
    assert dropdowns and ("Dark ↔ Light squares (test)", tt.CHECKPOINT) in [tuple(c) for c in dropdowns[0].choices]
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(url, verbose=False, ssl_verify=False)
        dark = np.full((32, 32, 3), 30, np.uint8)
        path = os.path.join(tempfile.mkdtemp(), "dark.png")
        Image.fromarray(dark).save(path)
        out, strip, note = client.predict(tt.CHECKPOINT, "a2b", handle_file(path), api_name="/translate_once")
        assert out and "Round trip Dark → Light → Dark" in note
    finally:
        demo.close()
        common._models.clear()
