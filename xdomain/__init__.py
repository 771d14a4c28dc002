"""xdomain: unsupervised cross-domain image translation (DiscoGAN, CoGAN, UNIT, DTN,
cross-domain disentanglement) — models, training, metrics and Hub checkpoints.

This package never imports gradio; the web app lives in ``app.py`` / ``ui/``.
"""
__version__ = "0.1.0"
