"""Fits the intent calibration and the fallback threshold on the tune split; prints both.

    scripts/app.sh bench/nlu_calibration.py

Starts the engine on the current model and parses every message of the real-customer tune split
(devset/, never the check split). Then:

1. **Temperature**: the engine's TemperatureCalibrator turns the classifier's probabilities p into
   softmax(log p / T). Given the confidences the current model reports (with T0 from config.yml),
   the multiplier m minimising the tune split's negative log-likelihood is found on a grid; the
   temperature to write into config.yml is T0·m. Expected calibration error (10 bins) and the
   reliability table are printed before and after.
2. **Thresholds**: below the fallback threshold the bot does not act on a guess (it asks one
   question with the menu, or offers a person); below the out-of-scope threshold an "it isn't
   about the shop" yields to the shop intent ranked next. A question or a refusal for a customer
   with a real request counts against "wrongly out of scope" (goal ≤ 3 %). The pair printed has
   the highest fallback threshold whose wrongly-out-of-scope share on tune stays at or below
   2.5 % (leaving room for the check split to differ), with the most accurate out-of-scope
   threshold for it. The FallbackClassifier's ambiguity threshold is 0 (not modelled here).

Write the three figures into config.yml (TemperatureCalibrator `temperature`,
OutOfScopeOnlyWhenSure and FallbackClassifier `threshold`), retrain, and score the check split
with bench/real_customers.py.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import requests
import yaml

from devset.rows import Labelled, load
from sandbox.stack import free_port, running, start_engine, trained_model
from settings import REPO_ROOT

OUT_OF_SCOPE = {"out_of_scope", "nlu_fallback"}
WRONGLY_OUT_OF_SCOPE_TARGET = 0.025


def config_value(component: str, key: str, default: float) -> float:
    config = yaml.safe_load((REPO_ROOT / "config.yml").read_text(encoding="utf-8"))
    for step in config["pipeline"]:
        if step["name"].endswith(component):
            return float(step.get(key, default))
    return default


def rankings(rows: list[Labelled]) -> list[dict[str, float]]:
    """Each message's confidences by intent (without the fallback pseudo-intent)."""
    model = trained_model()
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-calibration-") as tmp:
        engine, _ = start_engine(f"http://127.0.0.1:{free_port()}", Path(tmp), model=model)
        with running(engine), requests.Session() as http:
            for row in rows:
                reply = http.post(f"{engine.url}/model/parse", json={"text": row.text}, timeout=60)
                reply.raise_for_status()
                ranking = reply.json().get("intent_ranking") or []
                out.append(
                    {
                        r["name"]: float(r["confidence"])
                        for r in ranking
                        if r["name"] != "nlu_fallback"
                    }
                )
    return out


def rescaled(ranking: dict[str, float], multiplier: float) -> dict[str, float]:
    logits = {k: math.log(max(v, 1e-12)) / multiplier for k, v in ranking.items()}
    top = max(logits.values())
    total = sum(math.exp(v - top) for v in logits.values())
    return {k: math.exp(v - top) / total for k, v in logits.items()}


def nll(rows: list[Labelled], ranks: list[dict[str, float]], multiplier: float) -> float:
    return -float(
        np.mean(
            [
                math.log(max(rescaled(r, multiplier).get(row.intent, 0.0), 1e-12))
                for row, r in zip(rows, ranks, strict=True)
            ]
        )
    )


def reliability(rows: list[Labelled], ranks: list[dict[str, float]]) -> tuple[float, list[Any]]:
    """(ECE over 10 equal-width bins, [(bin, count, mean confidence, accuracy)])."""
    top = [max(r.items(), key=lambda kv: kv[1]) for r in ranks]
    confidence = np.array([c for _, c in top])
    correct = np.array([name == row.intent for (name, _), row in zip(top, rows, strict=True)])
    table, ece = [], 0.0
    for b in range(10):
        low, high = b / 10, (b + 1) / 10
        inside = (confidence > low) & (confidence <= high) if b else (confidence <= high)
        if inside.any():
            gap = abs(confidence[inside].mean() - correct[inside].mean())
            ece += inside.mean() * gap
            table.append(
                (
                    f"{low:.1f}-{high:.1f}",
                    int(inside.sum()),
                    round(float(confidence[inside].mean()), 3),
                    round(float(correct[inside].mean()), 3),
                )
            )
    return ece, table


def print_reliability(title: str, rows: list[Labelled], ranks: list[dict[str, float]]) -> None:
    ece, table = reliability(rows, ranks)
    print(f"\n{title}: ECE {ece:.3f}")
    print(f"  {'bin':9s} {'n':>5s} {'conf':>6s} {'acc':>6s}")
    for label, count, conf, acc in table:
        print(f"  {label:9s} {count:5d} {conf:6.3f} {acc:6.3f}")


def decide(ranking: dict[str, float], oos_threshold: float, fallback: float) -> str:
    """The intent the engine's pipeline ends with: OutOfScopeOnlyWhenSure, then the fallback."""
    ordered = sorted(ranking.items(), key=lambda kv: -kv[1])
    name, confidence = ordered[0]
    if name == "out_of_scope" and confidence < oos_threshold:
        name, confidence = next(((n, c) for n, c in ordered if n != "out_of_scope"), ordered[0])
    return "nlu_fallback" if confidence < fallback else name


def thresholds(rows: list[Labelled], ranks: list[dict[str, float]]) -> tuple[float, float]:
    """(out-of-scope threshold, fallback threshold): the highest fallback threshold (the least
    sure guesses get a question) whose wrongly-out-of-scope share on tune stays at or below the
    target, with the most accurate out-of-scope threshold for it."""
    real = [i for i, row in enumerate(rows) if row.intent != "out_of_scope"]
    best: tuple[float, float, float, float] = (-1.0, -1.0, 0.0, 0.0)
    print("\n  oos≥  fallback<  accuracy  wrongly-oos  asked")
    for s in [i / 20 for i in range(0, 20)]:
        for t in [i / 100 for i in range(0, 51)]:
            got = [decide(r, s, t) for r in ranks]
            accuracy = float(np.mean([g == row.intent for g, row in zip(got, rows, strict=True)]))
            wrong_oos = float(np.mean([got[i] in OUT_OF_SCOPE for i in real]))
            asked = float(np.mean([g == "nlu_fallback" for g in got]))
            if t in (0.0, 0.1, 0.2, 0.3) and s in (0.0, 0.3, 0.5, 0.7, 0.9):
                print(f"  {s:4.2f}  {t:8.2f}  {accuracy:8.3f}  {wrong_oos:11.3f}  {asked:5.3f}")
            if wrong_oos <= WRONGLY_OUT_OF_SCOPE_TARGET and (t, accuracy) > best[:2]:
                best = (t, accuracy, s, wrong_oos)
    t, accuracy, s, wrong_oos = best
    print(
        f"  chosen: oos≥{s:.2f}, fallback<{t:.2f}: accuracy {accuracy:.3f}, "
        f"wrongly out of scope {wrong_oos:.3f}"
    )
    return s, t


def main() -> int:
    rows = load("tune")
    print(f"tune split: {len(rows)} messages; parsing...", flush=True)
    ranks = rankings(rows)
    t0 = config_value("TemperatureCalibrator", "temperature", 1.0)
    print_reliability(f"as served (T = {t0:g})", rows, ranks)
    grid = [round(0.3 + 0.05 * i, 2) for i in range(75)]
    multiplier = min(grid, key=lambda m: nll(rows, ranks, m))
    fitted = [rescaled(r, multiplier) for r in ranks]
    print_reliability(f"refitted (x{multiplier:g}: T = {t0 * multiplier:.2f})", rows, fitted)
    oos_threshold, fallback = thresholds(rows, fitted)
    print(
        f"\nconfig.yml: TemperatureCalibrator temperature {t0 * multiplier:.2f}, "
        f"OutOfScopeOnlyWhenSure threshold {oos_threshold:.2f}, "
        f"FallbackClassifier threshold {fallback:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
