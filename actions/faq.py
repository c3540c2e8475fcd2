"""General questions answered at once from the knowledge base — or honestly not answered."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import conversation
from knowledge.search import default_index


class ActionAnswerFaq(Action):
    """Answer with the best-matching article above the tuned similarity; never guess."""

    def name(self) -> str:
        return "action_answer_faq"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = conversation.latest_text(tracker)
        if text.startswith("/"):  # the "Other questions" button: no question yet
            dispatcher.utter_message(response="utter_ask_faq_question")
            return []
        hit = default_index().search(text, language=tracker.get_slot("language") or "en")
        if hit is None:
            dispatcher.utter_message(response="utter_faq_not_found")
            return []
        dispatcher.utter_message(text=hit.answer)
        if hit.menu:
            dispatcher.utter_message(response="utter_menu")
        return []
