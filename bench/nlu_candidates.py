"""NLU candidates measured on the real-customer tune split: accuracy, parse latency, training time.

    scripts/app.sh bench/nlu_candidates.py [--only NAME ...]

Each candidate is config.yml's pipeline with the sentence encoder or the intent classifier
swapped; it is trained NLU-only into a temporary directory with an empty Rasa cache (so the time
is a full training), served by the engine, and sent every tune message alone to
`POST /model/parse`. Figures per candidate: intent accuracy (the pipeline's final intent, a
fallback counts as a miss), wrongly out of scope, NLU training seconds, parse p50/p99 in ms.
The tune split only: the check split stays a measurement of the chosen model
(bench/real_customers.py). One candidate at a time, on a quiet machine: about 20 minutes in all
(DIET's training is most of it).
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
import yaml

from devset.rows import Labelled, load
from sandbox.stack import RASA, free_port, running, start_engine
from settings import REPO_ROOT

ENCODER = "nlu_components.sentence_features.SentenceEncoderFeaturizer"
CLASSIFIER = "nlu_components.intent_classifier.SentenceIntentClassifier"
DIET = {
    "name": "DIETClassifier",
    "epochs": 40,
    "number_of_transformer_layers": 1,
    "transformer_size": 128,
    "entity_recognition": False,
    "constrain_similarities": True,
    "random_seed": 42,
    "ranking_length": 0,
}


def pipeline_with(base: dict[str, Any], encoder: str, classifier: dict[str, Any] | None) -> dict:
    config = copy.deepcopy(base)
    steps = []
    for step in config["pipeline"]:
        if step["name"] == ENCODER:
            step = {**step, "encoder": encoder}
        if step["name"] == CLASSIFIER and classifier is not None:
            step = classifier
        steps.append(step)
    config["pipeline"] = steps
    config.pop("policies", None)
    return config


def candidates() -> dict[str, dict[str, Any]]:
    base = yaml.safe_load((REPO_ROOT / "config.yml").read_text(encoding="utf-8"))
    return {
        "use-m3 + logistic regression (chosen)": pipeline_with(base, "use-m3", None),
        "e5-small + logistic regression": pipeline_with(base, "e5-small", None),
        "use-m3 + DIET (40 epochs)": pipeline_with(base, "use-m3", DIET),
    }


def train(config: dict[str, Any], workdir: Path) -> tuple[Path, float]:
    path = workdir / "config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    env = {**os.environ, "RASA_CACHE_DIRECTORY": str(workdir / "cache")}
    started = time.monotonic()
    subprocess.run(
        [str(RASA), "train", "nlu", "--config", str(path), "--nlu", "nlu_data",
         "--out", str(workdir), "--fixed-model-name", "candidate"],
        cwd=REPO_ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    return workdir / "candidate.tar.gz", time.monotonic() - started


def measure(model: Path, rows: list[Labelled], workdir: Path) -> dict[str, float]:
    engine, _ = start_engine(f"http://127.0.0.1:{free_port()}", workdir, model=model)
    latencies, intents = [], []
    with running(engine), requests.Session() as http:
        for row in rows:
            started = time.perf_counter()
            reply = http.post(f"{engine.url}/model/parse", json={"text": row.text}, timeout=60)
            latencies.append((time.perf_counter() - started) * 1000)
            reply.raise_for_status()
            intents.append(reply.json()["intent"]["name"])
    real = [i for i, row in enumerate(rows) if row.intent != "out_of_scope"]
    ordered = sorted(latencies)
    return {
        "accuracy": sum(p == r.intent for p, r in zip(intents, rows, strict=True)) / len(rows),
        "wrongly_out_of_scope": sum(intents[i] in ("out_of_scope", "nlu_fallback") for i in real)
        / len(real),
        "parse_p50_ms": statistics.median(ordered),
        "parse_p99_ms": ordered[int(0.99 * (len(ordered) - 1))],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="candidate names to run (substring match)")
    args = parser.parse_args()
    rows = load("tune")
    print(
        f"tune split: {len(rows)} messages; nproc {os.cpu_count()}, load {os.getloadavg()[0]:.2f}"
    )
    results = {}
    for name, config in candidates().items():
        if args.only and not any(part in name for part in args.only):
            continue
        with tempfile.TemporaryDirectory(prefix="bench-candidate-") as tmp:
            model, seconds = train(config, Path(tmp))
            figures = measure(model, rows, Path(tmp))
        results[name] = {**figures, "train_seconds": seconds}
        print(
            f"{name:40s} accuracy {figures['accuracy']:.3f}  wrongly-oos "
            f"{figures['wrongly_out_of_scope']:.3f}  train {seconds:6.1f}s  parse p50 "
            f"{figures['parse_p50_ms']:.1f} ms  p99 {figures['parse_p99_ms']:.1f} ms",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
