"""xdomain web demo: explore unsupervised cross-domain image translation in the browser.

    python app.py [--host 127.0.0.1] [--port 7860] [--share]

One tab per area, each built by ``ui/tabs/<name>.py`` from the registry. A tab whose module or
checkpoint is missing or broken shows a short explanation; it never takes the others down.
Binds 127.0.0.1 and does not share unless told to.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os

# Cold start: importing gradio and torch and building the UI allocate millions of long-lived objects, and the
# cyclic garbage collector would walk them again and again (~1 s of a ~6 s start on this machine). It is off
# until the UI is built, then the startup objects are frozen (never scanned again) and it is back on.
gc.disable()

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr  # noqa: E402

from xdomain import __version__, registry  # noqa: E402

TITLE = "xdomain — explore unsupervised cross-domain image translation"
# Gradio's hard cap on an upload. The app's own limit is 20 MB (xdomain.imageio.MAX_FILE_BYTES), checked
# by the upload handlers (ui.common.check_upload) with a message that names the size and stays on screen;
# at Gradio's cap the browser instead refuses the file with a short-lived toast and a bare "Error".
MAX_UPLOAD = "200mb"
# (module under ui/tabs, tab label, one-line explanation shown when the tab cannot be built)
TABS: list[tuple[str, str, str]] = [  # the face experience first: it is what most visitors come for
    ("face", "Your face → another attribute", "Upload a photo (or use an example) and translate your face."),
    ("translate", "Translate", "Translate an image between domains with diverse outputs."),
    ("interpolate", "Interpolate", "Morph shared (content) or exclusive (style) codes between two images."),
    ("pairs", "Pairs", "One noise vector, a corresponding pair: CoGAN's generators share their first layers."),
    ("analogies", "Analogies", "Combine the content of one image with the style of another."),
    ("retrieve", "Retrieve", "Cross-domain nearest neighbours by shared, exclusive or pixel features."),
    ("toy2d", "Toy 2D mode collapse", "DiscoGAN's toy experiment: GAN vs GAN+reconstruction vs DiscoGAN, trained live."),
]


def intro() -> str:
    """The header names only the papers that have a model in the app (from the registry)."""
    titles = [t for t in registry.served_titles() if not t.endswith(" toy")]
    named = ", ".join(f"**{t}**" for t in titles[:-1]) + (f" and **{titles[-1]}**" if len(titles) > 1 else f"**{titles[0]}**")
    return (f"# xdomain <small>v{__version__}</small>\nRe-implementations of {named}, trained on CPU with real datasets. "
            "Pick a tab; every model runs on this machine.")

log = logging.getLogger("xdomain.app")


def _build_tab(module: str, blurb: str) -> None:
    """Build one tab; any failure becomes a message inside that tab only."""
    gr.Markdown(f"*{blurb}*")
    try:
        mod = importlib.import_module(f"ui.tabs.{module}")
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("ui.tabs"):
            gr.Markdown("This tab's models have not landed yet; it will appear here when they do.")
            return
        log.exception("tab %s failed to import", module)
        gr.Markdown(f"This tab could not be loaded ({e}). The other tabs still work.")
        return
    except Exception as e:  # noqa: BLE001 - one broken tab must not take down the app
        log.exception("tab %s failed to import", module)
        gr.Markdown(f"This tab could not be loaded ({type(e).__name__}: {e}). The other tabs still work.")
        return
    try:
        mod.build()
    except Exception as e:  # noqa: BLE001
        log.exception("tab %s failed to build", module)
        gr.Markdown(f"This tab could not be built ({type(e).__name__}: {e}). The other tabs still work.")


def build_demo() -> gr.Blocks:
    from ui.common import install_atomic_image_cache, serialize_with_paints

    install_atomic_image_cache()  # concurrent identical outputs must not corrupt each other's downloads
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(intro())
        with gr.Tabs():
            for module, label, blurb in TABS:
                with gr.Tab(label, id=module, elem_id=f"tab-{module}"):
                    _build_tab(module, blurb)
    serialize_with_paints(demo)  # a visitor's early change lands after the page paint, never under it
    return demo


demo = build_demo()
gc.freeze()
gc.enable()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=TITLE)
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    p.add_argument("--share", action="store_true", help="create a public gradio.live link (off by default)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    from ui.common import warm_all

    demo.queue(default_concurrency_limit=2).launch(
        server_name=a.host, server_port=a.port, share=a.share, inbrowser=not a.no_browser,
        max_file_size=MAX_UPLOAD, show_error=True, prevent_thread_lock=True,
    )
    warm_all()  # first paints, feature indexes and slow imports, in the background once the page is served
    demo.block_thread()


if __name__ == "__main__":
    main()
