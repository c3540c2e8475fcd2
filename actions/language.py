"""Which language a customer writes in (the assistant speaks English; Italian comes next)."""

from __future__ import annotations

from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

# The languages our customers are likely to write in; a small set keeps detection quick and sure.
_LANGUAGES = (
    Language.ENGLISH,
    Language.ITALIAN,
    Language.SPANISH,
    Language.FRENCH,
    Language.GERMAN,
    Language.PORTUGUESE,
    Language.DUTCH,
)
# Below this many letters a guess is worse than assuming English ("ok", "thx", a code).
_MIN_LETTERS = 12
_MIN_CONFIDENCE = 0.6


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    return (
        LanguageDetectorBuilder.from_languages(*_LANGUAGES).with_preloaded_language_models().build()
    )


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the message's language, or None when the text is too short to tell."""
    if sum(ch.isalpha() for ch in text) < _MIN_LETTERS:
        return None
    values = _detector().compute_language_confidence_values(text)
    if not values or values[0].value < _MIN_CONFIDENCE:
        return None
    return values[0].language.iso_code_639_1.name.lower()
