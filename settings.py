"""One typed settings object, read from the environment (and a local `.env`).

Every variable is documented in the README with its default. Secrets come only from here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent


class Settings(BaseSettings):
    """Configuration shared by the action server, the store and the tools."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{REPO_ROOT / 'var' / 'supportbot.db'}",
        description="SQLAlchemy URL of the app database (orders, shipments, handoffs).",
    )
    actions_host: str = Field(default="127.0.0.1", description="Action server address.")
    actions_port: int = Field(default=5055, description="Action server port.")
    load_demo_data: bool = Field(
        default=True, description="Load the demo orders and shipments when the store is empty."
    )
    faq_path: Path = Field(
        default=REPO_ROOT / "knowledge" / "faq.yml", description="The FAQ knowledge base file."
    )
    faq_min_similarity: float | None = Field(
        default=None,
        description="Similarity below which no FAQ article is given (None: the tuned default).",
    )
    order_formats_path: Path = Field(
        default=REPO_ROOT / "codes" / "order_formats.yml",
        description="Which order-code formats the brand uses.",
    )
    handoff_minutes_per_request: float = Field(
        default=4.0,
        description="Minutes a person takes per waiting request (for the wait estimate).",
    )
    support_agents_on_shift: int = Field(
        default=2, description="People answering handoffs during business hours."
    )
    business_hours_path: Path = Field(
        default=REPO_ROOT / "store" / "business_hours.yml",
        description="Support team's opening hours and time zone (used for the handoff wait).",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
