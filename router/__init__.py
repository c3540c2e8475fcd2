"""The router: inbox → Rasa engine → outbox, one message at a time per conversation."""

from router.worker import Router

__all__ = ["Router"]
