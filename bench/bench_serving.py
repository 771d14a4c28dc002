"""The demo as a newcomer meets it: cold start, face and slider latency, and concurrent clients.

    .venv/bin/python bench/bench_serving.py [--clients 8 16] [--requests 10 50] [--stock-client] [--cold-only N]

Starts ``app.py`` in a child process exactly as ``./run.sh demo`` does (127.0.0.1, a free port) and
measures through ``gradio_client`` over loopback HTTP:

* **cold start**: process start → the first page answers (HTTP 200 on ``/``);
* **face**: one client sending a 640×480 photo to ``/face_run`` (p50 / p95), then N clients × M
  requests at once with one identical photo (p50, p95, failed requests);
* **slider**: ``/translate_code`` with the disentanglement model, one client and N × M at once;
* **retrieve**: the first ``/retrieve_run`` query right after the first page (it waits for the feature
  index the background warm-up is still building), and in a second fresh app left ``--open-wait``
  seconds first (what a visitor who opens the Retrieve tab after looking at the Face tab gets);
* **floor**: the same client against ``bench/floor_app.py``, the smallest Gradio app with the same queue
  (no torch, no model): its cold start and no-op calls are what no change to this app can go below.

The measuring client is ``Client(url, ssl_verify=False)``: the app is plain HTTP on loopback, and the
client as it comes loads the CA bundle for every request of a call (~47 ms each here; see
``common.client``). ``--stock-client`` measures it as it comes.

``face`` sends one identical photo (the app's in-memory crop cache answers after the first);
``face_fresh`` sends a new file each time (one pixel differs), so the face detector runs every time.

It prints the machine's load average beside the figures (other processes skew them; say so when you
report them). Requests are bounded in number and sent to 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import common
from common import pct

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, script: Path = REPO / "app.py") -> tuple[subprocess.Popen, float]:
    """Launch the demo (or ``script``); return the process and the seconds until ``/`` answers 200."""
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_OFFLINE="1")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(script), "--port", str(port), "--no-browser"], cwd=REPO,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    while time.perf_counter() - t0 < 180:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return proc, time.perf_counter() - t0
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise TimeoutError("the app did not answer within 180 s")


def photo_file() -> str:
    """A 640×480 JPEG with the bundled example face pasted in (what a webcam photo looks like)."""
    from PIL import Image

    face = Image.open(REPO / "ui" / "examples" / "astronaut.jpg").convert("RGB").resize((320, 320))
    canvas = Image.new("RGB", (640, 480), (120, 120, 120))
    canvas.paste(face, (200, 80))
    path = Path(tempfile.mkdtemp()) / "photo.jpg"
    canvas.save(path, quality=90)
    return str(path)


def fresh_photos(path: str, n: int) -> list[str]:
    """``n`` copies of the photo that differ in one corner pixel: different files, the same face, so the
    app's in-memory crop cache (keyed by the pixels) never answers for them."""
    from PIL import Image

    img = Image.open(path).convert("RGB")
    folder = Path(tempfile.mkdtemp())
    out = []
    for i in range(n):
        img.putpixel((0, 0), (i % 256, (i // 256) % 256, 7))
        out.append(str(folder / f"photo{i}.png"))  # PNG: the changed pixel survives exactly
        img.save(out[-1])
    return out


def floor(reps: int) -> dict:
    """Gradio's own figures on this machine (``bench/floor_app.py``: no torch, no models): cold start and
    p50 of a no-op text call, a no-op 64×64 image call and an upload → 64×64 image call via gradio_client,
    and the upload call from 8 clients × 10 requests at once."""
    from gradio_client import handle_file

    port = free_port()
    proc, cold = start_app(port, REPO / "bench" / "floor_app.py")
    out: dict = {"floor_cold_start_s": round(cold, 2)}
    try:
        c = connect(f"http://127.0.0.1:{port}/")
        photo = photo_file()
        for name, call in (("noop_text", lambda: c.predict("x", api_name="/noop_text")),
                           ("noop_image", lambda: c.predict(0.5, api_name="/noop_image")),
                           ("noop_upload", lambda: c.predict(handle_file(photo), api_name="/noop_upload"))):
            call()
            xs = [t for t, err in (timed(call) for _ in range(reps)) if err is None]
            out[f"floor_{name}_p50_ms"] = round(pct(xs, 50), 1)
        out["floor_noop_upload_8x10"] = concurrent(f"http://127.0.0.1:{port}/",
                                                   lambda cl: cl.predict(handle_file(photo), api_name="/noop_upload"), 8, 10)
    finally:
        proc.terminate()
        proc.wait(30)
    return out


def retrieve_after_open(wait_s: float, reps: int = 0) -> dict:
    """A fresh app, left ``wait_s`` seconds after its first page (a visitor reading the Face tab while the
    background warm-up paints the other tabs), then the first ``/retrieve_run`` query of the process (and
    the p50 of ``reps`` more, each on another test image)."""
    from gradio_client import handle_file

    port = free_port()
    proc, _ = start_app(port)
    try:
        time.sleep(wait_s)
        c = connect(f"http://127.0.0.1:{port}/")
        ck = "disentangle-mnist-cdcb"
        q = handle_file(c.predict(ck, "A", 0, api_name="/retrieve_query_test"))
        t = time.perf_counter()
        c.predict(ck, "A", q, "other", api_name="/retrieve_run")
        out = {"retrieve_first_after_open_ms": round((time.perf_counter() - t) * 1000, 1), "retrieve_open_wait_s": wait_s}
        qs = [handle_file(c.predict(ck, "A", i + 1, api_name="/retrieve_query_test")) for i in range(reps)]
        xs = [t for t, err in (timed(lambda: c.predict(ck, "A", q, "other", api_name="/retrieve_run")) for q in qs)
              if err is None]
        if xs:
            out["retrieve_warm_p50_ms"], out["retrieve_warm_failed"] = round(pct(xs, 50), 1), reps - len(xs)
        return out
    finally:
        proc.terminate()
        proc.wait(30)


STOCK_CLIENT = False  # --stock-client: measure with Client(url) exactly as it comes


def connect(url: str):
    """The measuring client: ``ssl_verify=False`` unless ``--stock-client`` (see ``common.client``)."""
    return common.client(url, stock=STOCK_CLIENT)


def timed(fn) -> tuple[float, str | None]:
    t = time.perf_counter()
    try:
        fn()
        return (time.perf_counter() - t) * 1000, None
    except Exception as e:  # noqa: BLE001 - a failed request is a figure, not a crash
        return (time.perf_counter() - t) * 1000, f"{type(e).__name__}: {e}"[:200]


def concurrent(url: str, make_call, clients: int, requests: int) -> dict:
    """``clients`` threads, each with its own Client, each sending ``requests`` calls at once."""
    def worker(_):
        c = connect(url)
        return [timed(lambda: make_call(c)) for _ in range(requests)]

    with ThreadPoolExecutor(clients) as ex:
        results = [r for rs in ex.map(worker, range(clients)) for r in rs]
    ms = [t for t, err in results if err is None]
    errors = [err for _, err in results if err]
    return {"clients": clients, "requests": clients * requests, "failed": len(errors),
            "p50_ms": pct(ms, 50) if ms else None, "p95_ms": pct(ms, 95) if ms else None,
            "first_errors": sorted(set(errors))[:3]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, nargs="+", default=[8, 16])
    p.add_argument("--requests", type=int, nargs="+", default=[10, 50], help="per client, paired with --clients")
    p.add_argument("--reps", type=int, default=30, help="single-client repetitions")
    p.add_argument("--json", action="store_true")
    p.add_argument("--stock-client", action="store_true",
                   help="gradio_client as it comes (ssl_verify=True: it loads the CA bundle for every HTTP request, "
                        "~47 ms each here, although the app is plain HTTP); default ssl_verify=False")
    p.add_argument("--no-floor", action="store_true", help="skip Gradio's own floor (bench/floor_app.py)")
    p.add_argument("--cold-only", type=int, default=0, metavar="N",
                   help="only time N cold starts of the app and of Gradio's floor app (median and each), then exit")
    p.add_argument("--retrieve-only", action="store_true",
                   help="only the retrieve figures: a fresh app, --open-wait seconds, its first query, then --reps more")
    p.add_argument("--open-wait", type=float, default=20.0,
                   help="seconds a fresh app is left open before its first retrieve query (default 20)")
    a = p.parse_args()
    if a.retrieve_only:
        out = {"load_avg_at_start": os.getloadavg(), **retrieve_after_open(a.open_wait, a.reps),
               "load_avg_at_end": os.getloadavg()}
        print(json.dumps(out, indent=1) if a.json else "\n".join(f"{k:<28} {v}" for k, v in out.items()))
        return
    if a.cold_only:
        times: dict[str, list[float]] = {"app": [], "floor": []}
        for _ in range(a.cold_only):
            for kind, script in (("app", REPO / "app.py"), ("floor", REPO / "bench" / "floor_app.py")):
                proc, t = start_app(free_port(), script)
                proc.terminate()
                proc.wait(30)
                times[kind].append(round(t, 2))
        out = {"load_avg_at_start": os.getloadavg(), **{f"cold_start_{k}_median_s": round(pct(v, 50), 2) for k, v in times.items()},
               **{f"cold_start_{k}_s": v for k, v in times.items()}}
        print(json.dumps(out, indent=1) if a.json else "\n".join(f"{k:<28} {v}" for k, v in out.items()))
        return
    from gradio_client import handle_file

    global STOCK_CLIENT
    STOCK_CLIENT = a.stock_client
    port = free_port()
    proc, cold = start_app(port)
    url = f"http://127.0.0.1:{port}/"
    out: dict = {"client": "stock (ssl_verify=True)" if a.stock_client else "ssl_verify=False (plain HTTP on loopback)",
                 "load_avg_at_start": os.getloadavg(), "cold_start_s": round(cold, 2)}
    try:
        c = connect(url)
        photo = photo_file()
        from xdomain import hub
        from xdomain.explore.faces import face_targets

        target = next(t.value for t in face_targets(hub.load_model)[0] if t.offered)  # what the tab opens on
        ck = "disentangle-mnist-cdcb"
        t = time.perf_counter()
        c.predict(ck, "A", handle_file(c.predict(ck, "A", 0, api_name="/retrieve_query_test")), "other",
                  api_name="/retrieve_run")
        out["retrieve_first_at_start_ms"] = round((time.perf_counter() - t) * 1000, 1)
        face_call = lambda cl: cl.predict(target, handle_file(photo), False, api_name="/face_run")  # noqa: E731
        src = handle_file(c.predict(ck, "a2b", 3, api_name="/translate_input_test"))
        slider_call = lambda cl: cl.predict(ck, "a2b", src, *[0.5] * 8, api_name="/translate_code")  # noqa: E731
        fresh = iter(fresh_photos(photo, a.reps + 1))
        fresh_call = lambda cl: cl.predict(target, handle_file(next(fresh)), False, api_name="/face_run")  # noqa: E731
        for name, call in (("face", face_call), ("face_fresh", fresh_call), ("slider", slider_call)):
            call(c)  # warm-up
            xs = [t for t, err in (timed(lambda: call(c)) for _ in range(a.reps)) if err is None]
            out[f"{name}_1client_p50_ms"], out[f"{name}_1client_p95_ms"] = round(pct(xs, 50), 1), round(pct(xs, 95), 1)
            if name == "face_fresh":
                continue  # the concurrent runs send one identical photo, as the issue asks
            for n, m in zip(a.clients, a.requests):
                out[f"{name}_{n}x{m}"] = concurrent(url, call, n, m)
        out["load_avg_at_end"] = os.getloadavg()
    finally:
        proc.terminate()
        proc.wait(30)
    out |= retrieve_after_open(a.open_wait, a.reps)
    if not a.no_floor:
        out |= floor(a.reps)
    print(json.dumps(out, indent=1) if a.json else "\n".join(f"{k:<28} {v}" for k, v in out.items()))


if __name__ == "__main__":
    main()
