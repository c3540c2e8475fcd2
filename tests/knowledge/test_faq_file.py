"""The FAQ file: the shipped one is valid, a broken one is refused with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.articles import REQUIRED_LANGUAGE, FaqFileError, load_faq
from settings import REPO_ROOT

SHIPPED_FAQ = REPO_ROOT / "knowledge" / "faq.yml"
EVAL_FILE = REPO_ROOT / "bench" / "data" / "faq_eval.yml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "faq.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_faq_loads_with_unique_ids_questions_and_an_english_answer() -> None:
    faq = load_faq(SHIPPED_FAQ)
    ids = [a.id for a in faq.articles]
    assert 15 <= len(ids) <= 25
    assert len(set(ids)) == len(ids)
    for article in faq.articles:
        assert 5 <= len(article.questions) <= 10, article.id
        assert article.answers[REQUIRED_LANGUAGE].strip(), article.id


def test_the_shipped_faq_has_the_bot_disclosure_and_the_help_menu() -> None:
    articles = {a.id: a for a in load_faq(SHIPPED_FAQ).articles}
    assert "automated assistant" in articles["is_bot"].answers["en"]
    assert articles["help"].menu
    assert [a.id for a in articles.values() if a.menu] == ["help"]


def test_no_held_out_bench_message_is_copied_into_the_faq() -> None:
    faq = load_faq(SHIPPED_FAQ)
    known = {q.casefold() for a in faq.articles for q in a.questions}
    known |= {e.casefold() for examples in faq.decline.values() for e in examples}
    held_out = EVAL_FILE.read_text(encoding="utf-8").casefold()
    lines = {line.strip().removeprefix("- ").strip() for line in held_out.splitlines()}
    assert not known & lines


def test_an_answer_in_a_missing_language_falls_back_to_english() -> None:
    article = load_faq(SHIPPED_FAQ).articles[0]
    assert article.answer("it") == ("en", article.answers["en"])
    assert article.answer("en") == ("en", article.answers["en"])


def test_a_duplicate_id_is_refused_naming_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
articles:
  - id: returns
    questions: [how do i return]
    answer: {en: Like this.}
  - id: returns
    questions: [can i send it back]
    answer: {en: Yes.}
""",
    )
    with pytest.raises(FaqFileError, match="'returns' is used more than once"):
        load_faq(path)


def test_an_article_without_questions_is_refused_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, "articles:\n  - {id: gift_cards, questions: [], answer: {en: Yes.}}")
    with pytest.raises(FaqFileError, match=r"'gift_cards'.*questions"):
        load_faq(path)


def test_an_article_without_an_english_answer_is_refused_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, "articles:\n  - {id: sizes, questions: [what size], answer: {it: Sì.}}")
    with pytest.raises(FaqFileError, match=r"'sizes'.*`en` answer"):
        load_faq(path)


def test_a_misspelt_key_is_refused_naming_the_article(tmp_path: Path) -> None:
    path = write(tmp_path, "articles:\n  - {id: sizes, questions: [what size], anwser: {en: M.}}")
    with pytest.raises(FaqFileError, match=r"'sizes'.*anwser"):
        load_faq(path)


def test_a_question_that_is_also_a_decline_example_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
articles:
  - {id: tracking, questions: [Where is my order], answer: {en: Here.}}
decline:
  order_status: [where is my order]
""",
    )
    with pytest.raises(FaqFileError, match=r"'tracking'.*order_status"):
        load_faq(path)


@pytest.mark.parametrize(
    "text",
    ["", "just: text", "articles: {}", "articles:\n  - just a string\n", "articles: [\n"],
)
def test_a_malformed_file_gives_an_faq_file_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(FaqFileError, match=str(tmp_path)):
        load_faq(write(tmp_path, text))


def test_a_missing_file_gives_an_faq_file_error(tmp_path: Path) -> None:
    with pytest.raises(FaqFileError, match="cannot read"):
        load_faq(tmp_path / "nope.yml")
