"""Cross-domain disentanglement speed on this machine: training steps/s, the full 10k-pair
evaluation, and the latency of one exclusive-code slider move (p50/p95).

    python bench/bench_disentangle.py [--threads 1] [--reps 15] [--moves 40] [--no-eval] [--no-app] [--json]

* steps/s: one D-step + one G-step at the default config (batch 64, 32×32) on random tensors
  (data sampling is not timed); the median over ``--reps`` iterations after one warm-up.
* eval: ``Disentangle.evaluate(root, limit=10000)`` of the registered checkpoint (Recall@1 ×3
  features ×2 directions ×2 readings, union retrieval, analogies, diversity with the judge).
* slider move: the model call alone (``encode`` + ``decode`` of one image), and the app's
  ``/translate_code`` endpoint through ``gradio_client`` against an in-process server
  (a PNG upload, the eight code values, the PNG back).
"""
from __future__ import annotations

import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

# the repo root, for app.py (xdomain itself comes from the installed package; see pyproject.toml)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import parse, parser, pct  # noqa: E402  (bench/common.py)

from xdomain import hub  # noqa: E402
from xdomain.data import resolve_root  # noqa: E402
from xdomain.imageio import save_png  # noqa: E402
from xdomain.methods.disentangle import Disentangle, DisentangleConfig  # noqa: E402

CKPT = "disentangle-mnist-cdcb"



def load_or_fresh() -> tuple[Disentangle, bool]:
    try:
        return hub.load_model(CKPT, allow_download=False), True
    except hub.CheckpointError:
        return Disentangle(DisentangleConfig()).eval(), False


def bench_steps(reps: int) -> dict[str, float]:
    m = Disentangle(DisentangleConfig())
    m.configure_optimizers()
    m.train()
    b = {k: torch.rand(m.cfg.batch_size, 3, 32, 32) * 2 - 1 for k in "AB"}
    m.train_step(b, 1)  # warm-up
    times = []
    for i in range(reps):
        t = time.perf_counter()
        m.train_step(b, i)  # alternates lazy-GP and plain critic steps like training does
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    return {"step_s_median": med, "steps_per_s": 1 / med, "step_s_p95": pct(times, 95)}


def bench_eval(m: Disentangle) -> dict[str, float]:
    t = time.perf_counter()
    metrics = m.evaluate(resolve_root(None), limit=10000)
    return {"eval_10k_s": time.perf_counter() - t, "eval_n_test": metrics["n_test"]}


def bench_model_move(m: Disentangle, moves: int) -> dict[str, float]:
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    times = []
    with torch.no_grad():
        for i in range(moves):
            code = torch.randn(1, 8, generator=torch.Generator().manual_seed(i))
            t = time.perf_counter()
            s, _ = m.encode(x, "A")
            m.decode(s, code, "B")
            times.append(time.perf_counter() - t)
    return {"model_move_ms_p50": 1e3 * pct(times, 50), "model_move_ms_p95": 1e3 * pct(times, 95)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_api_move(m: Disentangle, moves: int) -> dict[str, float]:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    from gradio_client import Client, handle_file

    import app

    port = _free_port()
    app.demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            img = Path(tmp) / "cd.png"
            test = m.load_data(m.cfg, resolve_root(None), "test").tensors["A"][:1]
            save_png(test[0], img)
            client = Client(f"http://127.0.0.1:{port}/", verbose=False)
            times = []
            for i in range(moves + 2):
                z = torch.randn(8, generator=torch.Generator().manual_seed(i)).clamp(-3, 3)  # the sliders' range
                code = [round(float(v), 2) for v in z]
                t = time.perf_counter()
                client.predict(CKPT, "a2b", handle_file(str(img)), *code, api_name="/translate_code")
                if i >= 2:  # the first calls warm caches
                    times.append(time.perf_counter() - t)
    finally:
        app.demo.close()
    return {"api_move_ms_p50": 1e3 * pct(times, 50), "api_move_ms_p95": 1e3 * pct(times, 95)}


def main() -> None:
    ap = parser(__doc__, reps=15, moves=40)
    ap.add_argument("--no-eval", action="store_true")
    ap.add_argument("--no-app", action="store_true")
    a = parse(ap)
    torch.manual_seed(0)
    out: dict[str, float | int | bool] = {"threads": a.threads}

    def report(part: dict) -> None:
        out.update(part)
        if not a.json:  # print as each part finishes: the whole run takes minutes
            for k, v in part.items():
                print(f"{k:>22}: {v:.4g}" if isinstance(v, float) else f"{k:>22}: {v}", flush=True)

    report(bench_steps(a.reps))
    m, trained = load_or_fresh()
    report({"trained_checkpoint": trained})
    if not a.no_eval:
        report(bench_eval(m))
    report(bench_model_move(m, a.moves))
    if not a.no_app:
        report(bench_api_move(m, a.moves))
    if a.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
