"""Store a committed checkpoint's weights in another dtype (e.g. float16 to keep ``checkpoints/`` small).

    python scripts/reship.py dtn-usps-mnist --dtype float16
    python -m xdomain eval dtn-usps-mnist --write                # the metrics of the weights as now shipped
    python tests/golden/make_golden.py dtn-usps-mnist            # its golden outputs

Only the weights and the config's ``ship_dtype`` change: the training record, data and card are kept (the
card's config block gets the new ``ship_dtype``). The stored metrics are those of the old weights until
``eval --write`` recomputes them, so the script prints that reminder. Compute stays float32: loading copies
float16 tensors back into the float32 modules.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xdomain import hub, registry  # noqa: E402


def reship(name: str, dtype: str) -> Path:
    """``name``: a registered checkpoint name, or a checkpoint folder."""
    folder = Path(name) if Path(name).is_dir() else registry.get_checkpoint(name).local_dir
    meta = hub.read_meta(folder)
    model = hub.load_model(folder, allow_download=False)
    if not hasattr(model.cfg, "ship_dtype"):
        raise SystemExit(f"{name}: {model.name} configs have no ship_dtype field")
    old = model.cfg.ship_dtype
    if old == dtype:
        raise SystemExit(f"{name} already ships as {dtype}")
    model.cfg = model.cfg.replace(ship_dtype=dtype)
    training = dict(meta.get("training", {}), reshipped={"from": old, "to": dtype})
    hub.save_checkpoint(folder, model, metrics=meta.get("metrics", {}), training=training, data=meta.get("data"))
    card = folder / hub.CARD_NAME
    if card.is_file():
        text = card.read_text()
        card.write_text(text.replace(f'"ship_dtype": {json.dumps(old)}', f'"ship_dtype": {json.dumps(dtype)}'))
    print(f"{name}: weights now {dtype} (were {old}); run `python -m xdomain eval {name} --write` and "
          f"`python tests/golden/make_golden.py {name}`")
    return folder


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="+", help="registered checkpoint names or checkpoint folders")
    p.add_argument("--dtype", default="float16", choices=("float16", "float32"))
    a = p.parse_args()
    for n in a.names:
        reship(n, a.dtype)


if __name__ == "__main__":
    main()
