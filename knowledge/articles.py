"""The FAQ file (`knowledge/faq.yml`): its articles and decline examples, loaded and validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Every article must be answerable in this language; others are optional (added later).
REQUIRED_LANGUAGE = "en"

# Unknown keys are refused so that a typo ("anwser:", "question:") fails loudly.
_ARTICLE_KEYS = {"id", "questions", "answer", "menu"}


class FaqFileError(ValueError):
    """The FAQ file cannot be used; the message names the file and the article at fault."""


@dataclass(frozen=True)
class Article:
    """One FAQ article: the ways customers ask it and its answer in each language."""

    id: str
    questions: tuple[str, ...]
    answers: Mapping[str, str]
    menu: bool = False

    def answer(self, language: str) -> tuple[str, str]:
        """The answer in `language`, else in English; returns (language used, text)."""
        if language in self.answers:
            return language, self.answers[language]
        return REQUIRED_LANGUAGE, self.answers[REQUIRED_LANGUAGE]


@dataclass(frozen=True)
class Faq:
    """The whole file: the articles, and the messages no article may answer, by reason."""

    articles: tuple[Article, ...]
    decline: Mapping[str, tuple[str, ...]]


def load_faq(path: Path | str) -> Faq:
    """Read and validate an FAQ file; raises FaqFileError saying what is wrong and where."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FaqFileError(f"{path}: cannot read the FAQ file ({exc})") from exc
    except yaml.YAMLError as exc:
        raise FaqFileError(f"{path}: not valid YAML ({exc})") from exc
    return parse_faq(data, source=str(path))


def parse_faq(data: Any, source: str = "<faq>") -> Faq:
    """Validate the parsed YAML document and build the FAQ."""
    if not isinstance(data, dict) or not isinstance(data.get("articles"), list):
        raise FaqFileError(f"{source}: expected a mapping with an `articles:` list")
    if not data["articles"]:
        raise FaqFileError(f"{source}: `articles:` is empty")
    unknown = sorted(set(data) - {"articles", "decline"})
    if unknown:
        raise FaqFileError(f"{source}: unknown top-level key(s) {unknown}")
    articles: list[Article] = []
    seen: set[str] = set()
    for position, raw in enumerate(data["articles"], start=1):
        article = _parse_article(raw, f"{source}: article #{position}")
        if article.id in seen:
            raise FaqFileError(f"{source}: article id {article.id!r} is used more than once")
        seen.add(article.id)
        articles.append(article)
    decline = _parse_decline(data.get("decline", {}), f"{source}: decline")
    questions = {q.casefold(): a.id for a in articles for q in a.questions}
    for reason, examples in decline.items():
        for example in examples:
            if example.casefold() in questions:
                raise FaqFileError(
                    f"{source}: {example!r} is both a question of article "
                    f"{questions[example.casefold()]!r} and a `decline: {reason}` example"
                )
    return Faq(tuple(articles), decline)


def _parse_decline(raw: Any, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise FaqFileError(f"{where}: expected a mapping of reason -> list of example messages")
    decline: dict[str, tuple[str, ...]] = {}
    for reason, examples in raw.items():
        if not isinstance(examples, list) or not examples:
            raise FaqFileError(f"{where}: {reason!r} needs a list of example messages")
        if not all(isinstance(e, str) and e.strip() for e in examples):
            raise FaqFileError(f"{where}: every example under {reason!r} must be non-empty text")
        decline[str(reason)] = tuple(e.strip() for e in examples)
    return decline


def _parse_article(raw: Any, where: str) -> Article:
    if not isinstance(raw, dict):
        raise FaqFileError(f"{where}: expected a mapping with id, questions and answer")
    article_id = raw.get("id")
    if not isinstance(article_id, str) or not article_id.strip():
        raise FaqFileError(f"{where}: missing `id`")
    where = f"{where} ({article_id!r})"
    unknown = sorted(set(raw) - _ARTICLE_KEYS)
    if unknown:
        raise FaqFileError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(_ARTICLE_KEYS)}")

    questions = raw.get("questions")
    if not isinstance(questions, list) or not questions:
        raise FaqFileError(f"{where}: needs at least one entry under `questions:`")
    if not all(isinstance(q, str) and q.strip() for q in questions):
        raise FaqFileError(f"{where}: every question must be a non-empty string")

    answers = raw.get("answer")
    if not isinstance(answers, dict):
        raise FaqFileError(
            f"{where}: `answer:` must map languages to text, e.g. answer: {{en: ...}}"
        )
    answer_en = answers.get(REQUIRED_LANGUAGE)
    if not isinstance(answer_en, str) or not answer_en.strip():
        raise FaqFileError(f"{where}: needs an `{REQUIRED_LANGUAGE}` answer")
    if not all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in answers.items()):
        raise FaqFileError(f"{where}: every answer must be non-empty text keyed by a language code")

    menu = raw.get("menu", False)
    if not isinstance(menu, bool):
        raise FaqFileError(f"{where}: `menu:` must be true or false")

    return Article(
        id=article_id,
        questions=tuple(q.strip() for q in questions),
        answers={lang: text.strip() for lang, text in answers.items()},
        menu=menu,
    )
