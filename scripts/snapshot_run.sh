#!/usr/bin/env bash
# Copy a training run's state every K steps (runs/<name>-<step>) so snapshots can be scored on
# validation identities afterwards:  scripts/snapshot_run.sh runs/dg-blond-ema 2000 [POLL_SECONDS, default 30]
# Only a state saved exactly at a multiple of K is copied (K must be a multiple of ckpt_every), so a
# resumed run never files a later state under an earlier snapshot's name.
run=$1; every=${2:-2000}; poll=${3:-30}
while sleep "$poll"; do
  [ -f "$run/train_state.json" ] || continue
  step=$(python3 -c "import json,sys;print(json.load(open('$run/train_state.json'))['step'])" 2>/dev/null) || continue
  if [ "$step" -gt 0 ] && [ $(( step % every )) -eq 0 ] && [ ! -d "$run-$step" ]; then
    mkdir -p "$run-$step" && cp "$run/train_state.json" "$run/train_state.safetensors" "$run-$step/"
  fi
  [ -f "$run/model.safetensors" ] && break
done
