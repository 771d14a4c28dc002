#!/usr/bin/env bash
# Copy a training run's state every K steps (runs/<name>-<step>) so snapshots can be scored on
# validation identities afterwards:  scripts/snapshot_run.sh runs/dg-blond-ema 2000
run=$1; every=${2:-2000}; last=0
while sleep 30; do
  [ -f "$run/train_state.json" ] || continue
  step=$(python3 -c "import json,sys;print(json.load(open('$run/train_state.json'))['step'])" 2>/dev/null) || continue
  k=$(( step / every * every ))
  if [ "$k" -gt "$last" ] && [ "$k" -gt 0 ]; then
    mkdir -p "$run-$k" && cp "$run/train_state.json" "$run/train_state.safetensors" "$run-$k/" && last=$k
  fi
  [ -f "$run/model.safetensors" ] && break
done
