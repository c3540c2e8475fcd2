"""Common questions answered at once, each with the offer of a person; and what "yes"/"no" mean."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import conversation
from actions.handoff import hand_off, tell_what_the_store_knows
from store.models import HandoffReason

# Responses that end by offering a person: a "yes" right after one of them means "hand me over".
OFFERS_A_PERSON = frozenset(
    {
        "utter_topic_cancel_order",
        "utter_topic_change_delivery",
        "utter_topic_return_refund",
        "utter_topic_payment_issue",
        "utter_topic_account_help",
        "utter_faq_not_found",
        "utter_other_language",
        "utter_message_too_long",
        "utter_shipment_exception",
        "utter_shipment_returned",
        "utter_out_of_scope_offer_person",
        "utter_offer_person_unsure",
    }
)


class ActionAnswerTopic(Action):
    """Cancel, change delivery, returns, payments, account: the general answer and an offer."""

    def name(self) -> str:
        return "action_answer_topic"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        tell_what_the_store_knows(dispatcher, tracker, domain)
        intent = conversation.latest_intent(tracker)
        dispatcher.utter_message(response=f"utter_topic_{intent}")
        return []


class ActionReplyYesNo(Action):
    """A bare yes or no answers the bot's last question; without one it is a cue for the menu."""

    def name(self) -> str:
        return "action_reply_yes_no"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = conversation.latest_intent(tracker)
        offered = conversation.last_bot_response(tracker) in OFFERS_A_PERSON
        if intent == "affirm" and offered:
            return hand_off(dispatcher, tracker, domain, HandoffReason.CUSTOMER_REQUEST)
        if intent == "affirm":
            dispatcher.utter_message(response="utter_how_can_i_help")
        else:
            dispatcher.utter_message(response="utter_no_problem")
        return []
