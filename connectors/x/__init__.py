"""X (Twitter) direct messages: Account Activity webhooks or polling in, API v2 DMs out.

webhook.routes() (CRC + signed POSTs) → events.parse_activity() → the inbox's `accept`;
polling.run_polling() for accounts without webhooks; send.XSender is the outbox's port,
through api.XApiClient (tweepy's async client aimed at X_API_URL).
"""

from urllib.parse import quote

PLATFORM = "x"
# API v2 DMs have no quick replies: options go out as a numbered list and the router reads
# "1", "2" or the option's words as the choice.
NATIVE_QUICK_REPLIES = False
# A DM conversation stays open as long as the customer accepts our messages: no time limit.
PERSON_REPLY_WINDOW = None


def profile_url(user_id: str, handle: str | None) -> str | None:
    """The customer's X profile, by handle when we know it."""
    if handle:
        return f"https://x.com/{quote(handle.lstrip('@'))}"
    return f"https://x.com/i/user/{quote(user_id)}"
