"""Retire committed checkpoints that only back a finished experiment's table, to keep ``checkpoints/`` small.

    python scripts/retire_checkpoints.py discogan-celeba-male-12k discogan-celeba-male-2000 ...

For each name the script copies, verbatim, what the tables read — the checkpoint's stored metadata
(config, training record, metrics computed by ``python -m xdomain eval --write``), its model card and its
registry entry — into ``docs/retired_checkpoints.json``, with the SHA-256 of the weights and the commit that
still holds them (``git show <commit>:checkpoints/<name>/model.safetensors > model.safetensors`` brings a
model back), then deletes the folder and its entry in ``tests/golden/outputs.json``. The registry entry is
removed by hand in ``xdomain/registry.py``. Nothing is recomputed or typed in.
An offered checkpoint (one with tabs in the app) is refused.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments.discogan_table import RETIRED_RECORD, retired_record  # noqa: E402
from xdomain import hub, registry  # noqa: E402

GOLDEN = ROOT / "tests" / "golden" / "outputs.json"


def retire(names: list[str]) -> None:
    record = retired_record()
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    for name in names:
        spec = registry.get_checkpoint(name)
        if spec.tabs:
            raise SystemExit(f"{name} is offered in the app ({', '.join(spec.tabs)}): not retired")
        folder = spec.local_dir
        weights = folder / hub.WEIGHTS_NAME
        tracked = subprocess.run(["git", "cat-file", "-e", f"{head}:checkpoints/{name}/{hub.WEIGHTS_NAME}"],
                                 cwd=ROOT, capture_output=True).returncode == 0
        if not tracked:
            raise SystemExit(f"{name}: its weights are not in commit {head[:9]}; commit them before retiring")
        card = folder / "README.md"
        record[name] = {
            "method": spec.method, "dataset": spec.dataset, "summary": spec.summary,
            "extra": dict(spec.extra), "meta": hub.read_meta(folder),
            "model_card": card.read_text() if card.is_file() else "",
            "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
            "weights_bytes": weights.stat().st_size, "weights_commit": head,
        }
        shutil.rmtree(folder)
        print(f"retired {name} ({record[name]['weights_bytes'] / 2**20:.1f} MB; weights in {head[:9]})")
    RETIRED_RECORD.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    golden = json.loads(GOLDEN.read_text())
    GOLDEN.write_text(json.dumps({k: v for k, v in golden.items() if k not in names}, indent=1, sort_keys=True) + "\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="+")
    retire(p.parse_args().names)


if __name__ == "__main__":
    main()
