"""Searching the shipped FAQ: paraphrases find their article, anything else finds nothing.

Every message here is written for the tests: none is a question of faq.yml or of the bench.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sentence_transformers import SentenceTransformer

from knowledge.search import DEFAULT_MIN_SIMILARITY, FaqIndex, build_index


@pytest.mark.parametrize(
    ("message", "article_id"),
    [
        ("how much do u charge to ship stuff", "shipping_costs"),
        ("what's your returns policy like", "returns"),
        ("can i pay using apple pay?", "payment_methods"),
        ("forgot my login details", "account_password"),
        ("are you guys open on saturdays", "support_hours"),
        ("do u ship to the uk", "international_shipping"),
        ("where do i type in a discount code", "discount_codes"),
    ],
)
def test_a_paraphrase_finds_its_article(index: FaqIndex, message: str, article_id: str) -> None:
    hit = index.search(message)
    assert hit is not None, index.top(message, 3)
    assert hit.article_id == article_id
    assert hit.score >= DEFAULT_MIN_SIMILARITY
    assert hit.language == "en" and hit.answer


@pytest.mark.parametrize("message", ["Are you a bot?", "is this a robot replying??"])
def test_asking_whether_it_is_a_bot_gets_the_disclosure(index: FaqIndex, message: str) -> None:
    hit = index.search(message)
    assert hit is not None and hit.article_id == "is_bot"
    assert "automated assistant" in hit.answer


def test_the_help_article_asks_for_the_menu(index: FaqIndex) -> None:
    hit = index.search("what are you able to help me with")
    assert hit is not None and hit.article_id == "help" and hit.menu


@pytest.mark.parametrize(
    "message",
    [
        "where is my parcel 1Z999AA10123456785 its been 10 days",  # order-specific: a look-up
        "i want to speak to an actual human",  # handoff
        "you lot are a joke, still no reply",  # complaint
        "do you sell dog food",  # not in the FAQ
        "hello!",  # small talk
        "what's the capital of australia",  # off-topic
        "set a timer for 10 minutes",  # off-topic
    ],
)
def test_an_unanswerable_message_gets_no_article(index: FaqIndex, message: str) -> None:
    assert index.search(message) is None, index.match(message)


def test_an_order_look_up_is_declined_even_though_it_resembles_an_article(
    index: FaqIndex,
) -> None:
    match = index.match("where's my order?? tracking hasnt changed since monday")
    assert match is not None and match.decline_reason == "order_status"
    assert not match.answers(index.min_similarity)


@pytest.mark.parametrize("message", ["", "   \n\t "])
def test_an_empty_message_gets_nothing(index: FaqIndex, message: str) -> None:
    assert index.search(message) is None
    assert index.match(message) is None
    assert index.top(message) == []


def test_a_5000_character_message_does_not_crash(index: FaqIndex) -> None:
    long_message = "how much is shipping to germany? " + "blah " * 1000
    assert len(long_message) >= 5000
    hit = index.search(long_message)
    assert hit is None or hit.article_id == "shipping_costs"


def test_top_lists_distinct_articles_best_first(index: FaqIndex) -> None:
    hits = index.top("when will i get my refund", k=3)
    assert hits[0].article_id == "refund_timing"
    assert len({h.article_id for h in hits}) == 3
    assert hits[0].score >= hits[1].score >= hits[2].score


def test_a_batch_match_agrees_with_single_matches(index: FaqIndex) -> None:
    messages = ["do you do gift cards", "", "thanks"]
    batch = index.match_many(messages)
    single = [index.match(m) for m in messages]
    assert batch[1] is None and single[1] is None
    for b, s in zip(batch, single, strict=True):
        if b is not None and s is not None:
            assert (b.hit.article_id, b.decline_reason) == (s.hit.article_id, s.decline_reason)
            # Batched encoding pads sequences together: scores agree to float precision only.
            assert b.hit.score == pytest.approx(s.hit.score, abs=1e-4)


def test_the_threshold_comes_from_the_caller_then_the_settings_then_the_default(
    model: SentenceTransformer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from settings import get_settings

    faq = tmp_path / "faq.yml"
    faq.write_text(
        "articles:\n  - {id: hours, questions: [when are you open], answer: {en: 9-18.}}",
        encoding="utf-8",
    )
    assert build_index(model, faq, 0.5).min_similarity == 0.5
    get_settings.cache_clear()
    monkeypatch.setenv("FAQ_MIN_SIMILARITY", "0.9")
    try:
        assert build_index(model, faq).min_similarity == 0.9
        monkeypatch.delenv("FAQ_MIN_SIMILARITY")
        get_settings.cache_clear()
        assert build_index(model, faq).min_similarity == DEFAULT_MIN_SIMILARITY
    finally:
        get_settings.cache_clear()


def test_an_index_answers_in_the_language_asked_when_the_article_has_it(
    model: SentenceTransformer, tmp_path: Path
) -> None:
    faq = tmp_path / "faq.yml"
    faq.write_text(
        "articles:\n  - {id: hours, questions: [when are you open],"
        " answer: {en: 9 to 6., it: Dalle 9 alle 18.}}\n",
        encoding="utf-8",
    )
    index = build_index(model, faq, 0.5)
    hit = index.search("what are your opening hours", language="it")
    assert hit is not None and (hit.language, hit.answer) == ("it", "Dalle 9 alle 18.")
