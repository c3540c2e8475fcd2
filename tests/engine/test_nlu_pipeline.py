"""The engine's NLU pipeline as served (`POST /model/parse`): the parts of nlu_components/ that
no conversation shows directly."""

from __future__ import annotations

import math

import pytest

from sandbox.stack import Service
from tests.engine.test_real_customer_guarantees import parse

pytestmark = pytest.mark.engine

INTENTS = 17


def test_every_intent_is_ranked_and_the_confidences_are_probabilities(engine: Service) -> None:
    answer = parse(engine, "my parcel was supposed to come on monday and still nothing")
    ranking = [r for r in answer["intent_ranking"] if r["name"] != "nlu_fallback"]
    assert len(ranking) == INTENTS
    assert math.isclose(sum(r["confidence"] for r in ranking), 1.0, abs_tol=1e-6)
    assert ranking == sorted(ranking, key=lambda r: -r["confidence"])
    assert answer["intent"]["name"] == ranking[0]["name"] == "delivery_problem"
    assert answer["intent"]["confidence"] == pytest.approx(ranking[0]["confidence"])


def test_calibration_keeps_a_plain_request_confident_and_spreads_a_vague_one(
    engine: Service,
) -> None:
    assert parse(engine, "where is my package")["intent"]["confidence"] > 0.9
    vague = parse(engine, "the thing from before, any news")
    assert vague["intent_ranking"][0]["confidence"] < 0.9


def test_an_empty_message_is_not_guessed(engine: Service) -> None:
    assert parse(engine, "")["intent"]["name"] == "nlu_fallback"


def test_a_code_decides_the_intent_of_small_talk_around_it(engine: Service) -> None:
    assert parse(engine, "cheers, 1Z5R89390357567127")["intent"]["name"] == "track_parcel"
    assert parse(engine, "thanks, #12345")["intent"]["name"] == "order_status"


def test_a_greeting_glued_to_a_problem_is_the_problem(engine: Service) -> None:
    answer = parse(engine, "hello hello, still no sign of my parcel")
    assert answer["intent"]["name"] not in ("greet", "thank", "goodbye")
