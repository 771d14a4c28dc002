"""Latency of the app's API as a user's browser sees it (through gradio_client, loopback HTTP).

    .venv/bin/python bench/bench_app.py [--reps 50]

Prints p50/p95 per endpoint: a slider move on the Translate tab (``/translate_code``), N=8
diverse outputs, an analogy sheet, an interpolation with its GIF and a retrieval (first call,
which builds the feature index, reported separately).
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from pathlib import Path

# the repo root, for app.py (xdomain itself comes from the installed package; see pyproject.toml)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import pct  # noqa: E402  (bench/common.py)
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")



def timed(fn, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=50)
    a = p.parse_args()
    import app
    from gradio_client import Client, handle_file

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    c = Client(f"http://127.0.0.1:{port}/", verbose=False)
    ck = "disentangle-mnist-cdcb"
    src = handle_file(c.predict(ck, "a2b", 3, api_name="/translate_input_test"))
    a_img = handle_file(c.predict(ck, "A", 0, api_name="/interpolate_first_test"))
    b_img = handle_file(c.predict(ck, "A", 1, api_name="/interpolate_second_test"))
    t = time.perf_counter()
    c.predict(ck, "A", a_img, "other", api_name="/retrieve_run")
    first_retrieve = (time.perf_counter() - t) * 1000
    rows = {
        "slider move /translate_code": lambda: c.predict(ck, "a2b", src, *[0.5] * 8, api_name="/translate_code"),
        "8 diverse outputs /translate_diverse": lambda: c.predict(ck, "a2b", src, 8, 0, api_name="/translate_diverse"),
        "5x5 analogies /analogies_run": lambda: c.predict(ck, "A", 5, 0, "Test set", [], "Test set", [], api_name="/analogies_run"),
        "8-step interpolation + GIF": lambda: c.predict(ck, "A", a_img, b_img, "shared", 8, api_name="/interpolate_run"),
        "retrieval top-10 (warm)": lambda: c.predict(ck, "A", a_img, "other", api_name="/retrieve_run"),
    }
    print(f"{'endpoint':<40} {'p50 ms':>8} {'p95 ms':>8}  (reps={a.reps}, loopback HTTP)")
    for name, fn in rows.items():
        xs = timed(fn, a.reps)
        print(f"{name:<40} {pct(xs, 50):8.1f} {pct(xs, 95):8.1f}")
    print(f"{'retrieval, first call (builds index)':<40} {first_retrieve:8.1f}")
    app.demo.close()


if __name__ == "__main__":
    main()
