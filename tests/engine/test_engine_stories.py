"""The engine's test stories (tests/engine/test_stories.yml), run by `rasa test core`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from sandbox.stack import RASA, Service, trained_model
from settings import REPO_ROOT

pytestmark = pytest.mark.engine


def test_engine_test_stories_pass(action_server: Service, tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "{action_server.url}/webhook"\n')
    rasa = RASA
    result = subprocess.run(
        [
            str(rasa),
            "test",
            "core",
            "--model",
            str(trained_model()),
            "--stories",
            str(REPO_ROOT / "tests" / "engine" / "test_stories.yml"),
            "--endpoints",
            str(endpoints),
            "--out",
            str(tmp_path / "results"),
            "--no-plot",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    failed = (tmp_path / "results" / "failed_test_stories.yml").read_text()
    report = json.loads((tmp_path / "results" / "story_report.json").read_text())
    assert "None of the test stories failed" in failed, failed
    assert report["conversation_accuracy"]["accuracy"] == 1.0
    # every action the stories expect was predicted every time
    assert report["macro avg"]["f1-score"] == 1.0
