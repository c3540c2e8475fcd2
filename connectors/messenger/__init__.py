"""Facebook Messenger: webhook in (verify, parse, hand to the inbox), Send API out.

The gateway mounts `routes(accept, settings)` and gives the outbox a `MessengerSender`.
Everything Messenger-specific lives in this folder.
"""

from connectors.messenger.events import PLATFORM
from connectors.messenger.send import MessengerSender
from connectors.messenger.webhook import WEBHOOK_PATH, routes

__all__ = ["NATIVE_QUICK_REPLIES", "PLATFORM", "WEBHOOK_PATH", "MessengerSender", "routes"]

NATIVE_QUICK_REPLIES = True
