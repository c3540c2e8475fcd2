"""The sandbox page: a person chats with the bot as a Messenger or X customer, in a browser."""

from sandbox.page.app import page_app

__all__ = ["page_app"]
