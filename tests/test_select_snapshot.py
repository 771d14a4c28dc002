"""The snapshot-selection rule of issue 17, on hand-made validation rows (no test figures involved)."""
from __future__ import annotations

from experiments.select_snapshot import select


def row(step, flip, kept, div):
    return {"run": f"r-{step}", "step": step, "flipped_a2b": flip[0], "flipped_b2a": flip[1],
            "kept_mean_a2b": kept[0], "kept_mean_b2a": kept[1], "diversity_a2b": div[0], "diversity_b2a": div[1]}


def test_best_kept_among_those_that_flip_and_stay_diverse():
    rows = [row(2000, (.9, .9), (.80, .80), (1, 1)),
            row(4000, (.9, .85), (.86, .84), (1, 1)),  # min kept .84: the pick
            row(6000, (.95, .95), (.90, .70), (1, 1)),  # min kept .70
            row(8000, (.99, .99), (.95, .95), (.7, 1)),  # collapsed: not diverse enough
            row(9000, (.5, .99), (.99, .99), (1, 1))]  # does not flip both ways
    pick, why = select(rows)
    assert pick["step"] == 4000 and "best kept" in why


def test_falls_back_to_flipping_then_to_anything():
    assert select([row(2000, (.3, .6), (.9, .9), (1, 1)), row(4000, (.5, .7), (.8, .8), (1, 1))])[0]["step"] == 4000
    assert select([row(2000, (.3, .6), (.9, .9), (.5, .5)), row(4000, (.2, .7), (.8, .8), (.5, .5))])[0]["step"] == 2000


def test_select_and_test_picks_the_lowest_when_lower_is_better_and_the_later_on_ties(tmp_path, monkeypatch):
    """experiments.snapshots.select_and_test as revision 17 uses it (a median rank: lower is better)."""
    import json

    import xdomain.train
    from experiments.snapshots import select_and_test

    run = tmp_path / "run"
    scores = {500: 40.0, 1000: 30.0, 1500: 30.0, 2000: 35.0}  # 1000 and 1500 tie: the later wins
    for step in (500, 1000, 1500):
        (tmp_path / f"run-{step}").mkdir()
    run.mkdir()
    (run / "train_state.json").write_text(json.dumps({"step": 2000}))
    step_of = lambda c: 2000 if c.name == "run" else int(c.name.split("-")[1])  # noqa: E731
    monkeypatch.setattr(xdomain.train, "load_run", lambda c: (scores[step_of(c)], step_of(c), 0.0))
    low, _ = select_and_test(run, "rank", lambda m: m, evaluate=False, higher_is_better=False)
    assert low["chosen_step"] == 1500 and low["last_step"] == 2000 and [c["step"] for c in low["candidates"]] == [
        500, 1000, 1500, 2000]
    high, _ = select_and_test(run, "rank", lambda m: m, evaluate=False)
    assert high["chosen_step"] == 500
