"""The client for the Rasa engine: the dialogue turn and the conversation's record (tracker).

An adapter at the edge, like the connectors: the router speaks to it in the core's terms.
"""

from engine.client import EngineClient, EngineUnavailable
from engine.replies import EngineReply

__all__ = ["EngineClient", "EngineReply", "EngineUnavailable"]
