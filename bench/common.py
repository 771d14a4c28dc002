"""Helpers shared by the benchmark scripts (run as ``python bench/<name>.py``)."""
from __future__ import annotations

import numpy as np


def client(url: str, *, stock: bool = False):
    """A ``gradio_client.Client`` for an app this script started on loopback HTTP.

    ``stock=False`` (what the figures headline) passes ``ssl_verify=False``: the app speaks plain HTTP on
    127.0.0.1, so there is no certificate to verify, yet with the default ``ssl_verify=True`` the client
    builds a fresh ``httpx`` client for every request it makes (the upload, the queue POST, the event
    stream, each downloaded file) and each one loads the CA bundle: ~47 ms apiece on this machine, 3–4 per
    call, time no browser and no server change can remove. ``stock=True`` is the client exactly as
    ``Client(url)`` makes it, for the stock figures reported beside the headline ones.
    """
    from gradio_client import Client

    return Client(url, verbose=False, ssl_verify=stock)


def pct(xs: list[float], q: float) -> float:
    """The q-th percentile (linear interpolation) of a list of timings."""
    return float(np.percentile(np.asarray(xs, dtype=float), q))


def parser(doc: str | None, **ints: int):
    """An argument parser with ``--threads`` (default 1), ``--json`` and one ``--<name> N`` per keyword
    (its default); :func:`parse` then applies the thread count."""
    import argparse

    p = argparse.ArgumentParser(description=(doc or "").strip().split("\n")[0])
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    for name, default in ints.items():
        p.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    return p


def parse(p, argv=None):
    import torch

    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    return a


def time_train_steps(model, batch: dict, steps: int) -> dict[str, float]:
    """Median wall time of ``model.train_step`` on a fixed batch (after one warm-up step)."""
    import statistics
    import time

    model.configure_optimizers()
    model.train()
    model.train_step(batch, 0)  # warm-up
    times = []
    for s in range(steps):
        t = time.perf_counter()
        model.train_step(batch, s + 1)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    return {"step_s_median": med, "steps_per_s": 1 / med}
