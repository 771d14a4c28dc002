"""The smallest Gradio app that answers like ours, so ``bench_serving.py`` can report Gradio's own floor on
this machine beside the app's figures: the same Gradio and gradio_client versions, the same queue, no torch.

    python bench/floor_app.py --port PORT [--no-browser]   # the same arguments as app.py

Endpoints: ``/noop_text`` (a string in, a string out), ``/noop_image`` (a number in, a 64×64 PNG out: a
slider move), ``/noop_upload`` (a file in, a 64×64 PNG out: a photo upload). Binds 127.0.0.1.
"""
from __future__ import annotations

import argparse

import gradio as gr
import numpy as np

IMAGE = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)

with gr.Blocks(analytics_enabled=False) as demo:
    text, out_text = gr.Textbox(), gr.Textbox()
    number = gr.Number()
    upload = gr.File(type="filepath")
    image = gr.Image(type="numpy", format="png")
    text.submit(lambda t: t, text, out_text, api_name="noop_text")
    number.change(lambda v: IMAGE, number, image, api_name="noop_image", queue=False, show_progress="hidden")
    upload.upload(lambda p: IMAGE, upload, image, api_name="noop_upload")

if __name__ == "__main__":
    p = argparse.ArgumentParser(description="Gradio's floor for bench/bench_serving.py")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--no-browser", action="store_true", help="accepted for app.py's command line; never opens one")
    a = p.parse_args()
    demo.queue(default_concurrency_limit=2).launch(server_name="127.0.0.1", server_port=a.port)
