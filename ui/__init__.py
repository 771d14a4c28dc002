"""Gradio UI for xdomain: a thin layer over the ``xdomain`` package (which never imports gradio)."""
