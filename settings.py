"""One typed settings object, read from the environment (and a local `.env`).

Every variable is documented in the README with its default. Secrets come only from here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

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
    # --- connectors and gateway (names fixed: deployments rely on them) ---------------------
    messenger_app_secret: str | None = Field(default=None, description="Signs Messenger webhooks.")
    messenger_verify_token: str | None = Field(
        default=None, description="Answers Messenger's webhook verification."
    )
    messenger_page_access_token: str | None = Field(
        default=None, description="Sends through the Messenger Send API."
    )
    graph_api_url: str = Field(
        default="https://graph.facebook.com/v21.0", description="Graph API base, with version."
    )
    x_consumer_key: str | None = Field(default=None, description="X app key.")
    x_consumer_secret: str | None = Field(
        default=None, description="X app secret: CRC answers and webhook signatures."
    )
    x_access_token: str | None = Field(default=None, description="X user token (sending).")
    x_access_token_secret: str | None = Field(default=None, description="X user token secret.")
    x_bearer_token: str | None = Field(default=None, description="X app bearer token.")
    x_api_url: str = Field(default="https://api.twitter.com", description="X API base.")
    x_mode: Literal["webhook", "polling"] = Field(
        default="webhook", description="Account Activity webhooks, or polling GET /2/dm_events."
    )
    x_account_id: str | None = Field(default=None, description="Our X account's user id.")
    x_poll_interval: float = Field(default=60.0, description="Seconds between polls (polling).")
    gateway_host: str = Field(default="127.0.0.1", description="Gateway (webhooks) address.")
    gateway_port: int = Field(default=8080, description="Gateway port.")
    engine_url: str = Field(
        default="http://127.0.0.1:5005", description="The Rasa engine the router talks to."
    )
    rasa_token: str | None = Field(default=None, description="Token for the engine's HTTP API.")

    # --- the desk (agent console) -----------------------------------------------------------
    desk_secret_key: str | None = Field(
        default=None,
        description="Signs and encrypts desk session cookies (32 url-safe base64 bytes, e.g. from "
        "`python -m desk new-secret`). Unset: one is made and kept in var/desk_secret.key; set it "
        "when several gateway processes serve the desk.",
    )
    desk_cookie_secure: bool = Field(
        default=False,
        description="Send the desk's session cookie over HTTPS only (set it behind TLS).",
    )
    desk_session_hours: float = Field(default=12.0, description="Desk sign-ins last this long.")

    business_hours_path: Path = Field(
        default=REPO_ROOT / "store" / "business_hours.yml",
        description="Support team's opening hours and time zone (used for the handoff wait).",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
