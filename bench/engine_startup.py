"""Engine start-up time and full training wall time; figures printed.

    scripts/app.sh bench/engine_startup.py [--starts 3] [--no-train]

Start-up: the engine is started `--starts` times on the current model (`trained_model()`), pointed
at an action URL nothing listens on; each time, the seconds from process start until `/status`
answers 200 (what `sandbox.stack.start_engine` returns). Prints each, the min and the median.

Training: one forced, full training run of the engine's model, timed as a whole process (what
`make train` costs when it has to train): the engine environment's `rasa train --config config.yml
--domain bot/domain.yml --data bot/dialogue nlu_data --force` with its output (`--out`) and Rasa's
training cache (RASA_CACHE_DIRECTORY) in a temporary directory, so nothing is reused from an
earlier run and neither models/ nor any cache is touched. Takes minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sandbox.stack import RASA, free_port, start_engine, trained_model
from settings import REPO_ROOT

RESULTS = Path(__file__).resolve().parent / "results" / "engine_startup.json"


def startup_seconds(model: Path, starts: int) -> list[float]:
    seconds = []
    for i in range(starts):
        with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
            engine, startup = start_engine(
                f"http://127.0.0.1:{free_port()}", Path(tmp), model=model
            )
            engine.stop()
        seconds.append(startup)
        print(f"  start {i + 1}: {startup:.1f}s", flush=True)
    return seconds


def training_seconds() -> tuple[float, Path]:
    """Wall time of one forced full `rasa train`, in a temp dir; returns (seconds, log path)."""
    rasa = RASA
    log = Path(tempfile.mkstemp(prefix="bench-train-", suffix=".log")[1])
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        args = [
            str(rasa), "train", "--config", "config.yml", "--domain", "bot/domain.yml",
            "--data", "bot/dialogue", "nlu_data", "--out", tmp, "--fixed-model-name", "bench",
            "--force",
        ]  # fmt: skip
        env = {**os.environ, "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache")}
        with log.open("wb") as out:
            started = time.monotonic()
            done = subprocess.run(
                args, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
            )
            seconds = time.monotonic() - started
        if done.returncode != 0 or not (Path(tmp) / "bench.tar.gz").exists():
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"rasa train failed ({done.returncode}), log {log}:\n{tail}")
    return seconds, log


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--starts", type=int, default=3)
    ap.add_argument("--no-train", action="store_true", help="skip the training measurement")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    model = trained_model()
    results: dict[str, object] = {"model": model.name, "nproc": os.cpu_count()}
    print(f"engine start-up ({args.starts} starts, model {model.name}):", flush=True)
    starts = startup_seconds(model, args.starts)
    results["startup_seconds"] = [round(s, 2) for s in starts]
    results["startup_min"] = round(min(starts), 2)
    results["startup_median"] = round(statistics.median(starts), 2)
    print(
        f"engine start-up: min {min(starts):.1f}s, median {statistics.median(starts):.1f}s "
        f"(process start to /status 200, n={len(starts)})",
        flush=True,
    )
    if not args.no_train:
        print("training: one forced full run (takes minutes)...", flush=True)
        load_before = os.getloadavg()[0]
        seconds, log = training_seconds()
        load_after = os.getloadavg()[0]
        results["train_seconds"] = round(seconds, 1)
        results["train_loadavg_1m_before_after"] = [round(load_before, 2), round(load_after, 2)]
        print(
            f"training wall time: {seconds:.0f}s ({seconds / 60:.1f} min; nproc {os.cpu_count()}, "
            f"load average {load_before:.2f} before, {load_after:.2f} after; log {log})"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"figures: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
