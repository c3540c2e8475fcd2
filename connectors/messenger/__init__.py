"""Facebook Messenger: webhook in (verify, parse, hand to the inbox), Send API out.

The gateway mounts `routes(accept, settings)`, gives the outbox a `MessengerSender` and the desk
`MessengerProfiles` (customers' names, which webhooks do not carry).
Everything Messenger-specific lives in this folder.
"""

from datetime import timedelta

from connectors.messenger.events import PLATFORM
from connectors.messenger.profiles import MessengerProfiles
from connectors.messenger.send import MessengerSender
from connectors.messenger.webhook import WEBHOOK_PATH, routes

__all__ = [
    "NATIVE_QUICK_REPLIES",
    "PERSON_REPLY_WINDOW",
    "PLATFORM",
    "WEBHOOK_PATH",
    "MessengerProfiles",
    "MessengerSender",
    "profile_url",
    "routes",
]

NATIVE_QUICK_REPLIES = True
# A person may answer with the HUMAN_AGENT tag up to 7 days after the customer's last message
# (the bot only within 24 hours, and it only ever answers at once).
PERSON_REPLY_WINDOW = timedelta(days=7)


def profile_url(user_id: str, handle: str | None) -> str | None:
    """None: a page-scoped id has no public profile address."""
    return None
