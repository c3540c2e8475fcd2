"""Handing a conversation to a person, with everything they need already filled in."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from babel.dates import format_datetime
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import conversation
from actions.lookups import answer_lookup, codes_in_latest_message
from actions.responses import render
from actions.runtime import sessions
from desk.preferences import business_hours, sla_targets
from desk.priority import rank
from desk.sla import due_at
from settings import get_settings
from store.business_hours import next_opening
from store.handoffs import NewHandoff, open_handoffs_count, recent_handoffs_count, record_handoff
from store.models import HandoffReason

# A customer handed off again within this time is a repeated contact (ranks higher).
REPEATED_CONTACT_WINDOW = timedelta(days=7)

# An apology or explanation said before "I'm passing you to a person", by reason.
_PREAMBLE = {
    HandoffReason.COMPLAINT: "utter_handoff_sorry",
    HandoffReason.DELIVERY_PROBLEM: "utter_handoff_sorry",
    HandoffReason.REPEATED_MISUNDERSTANDING: "utter_handoff_misunderstood",
}

_REASON_LABEL = {
    HandoffReason.CUSTOMER_REQUEST: "Asked for a person",
    HandoffReason.REPEATED_MISUNDERSTANDING: "Bot did not understand twice",
    HandoffReason.UNKNOWN_CODE: "Code not found in the store",
    HandoffReason.INVALID_CODE: "Gave an invalid code three times",
    HandoffReason.DELIVERY_PROBLEM: "Delivery problem",
    HandoffReason.COMPLAINT: "Complaint",
    HandoffReason.OTHER: "Needs a person",
}


def hand_off(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    reason: HandoffReason,
    checks: list[dict[str, Any]] | None = None,
    now: datetime | None = None,
) -> list[EventType]:
    """Store a handoff request with its context, tell the customer, and pause the bot.

    `checks` are the codes given so far, when the caller has just updated them.
    """
    now = now or datetime.now(UTC)
    who = conversation.customer(tracker)
    if checks is None:
        checks = list(tracker.get_slot("code_checks") or [])
    lines = conversation.transcript(tracker)
    customer_texts = [line["text"] for line in lines if line.get("sender") == "customer"]
    context = {
        "intents": conversation.intents_so_far(tracker),
        "codes": checks,
        "transcript": lines,
        "language": tracker.get_slot("language") or "en",
    }
    with sessions().begin() as session:
        waiting = open_handoffs_count(session)
        hours = business_hours(session)
        earlier = recent_handoffs_count(
            session, who.platform, who.customer_id, now - REPEATED_CONTACT_WINDOW
        )
        priority, signals = rank(reason, customer_texts[-5:], checks, earlier)
        record_handoff(
            session,
            NewHandoff(
                platform=who.platform,
                conversation_id=tracker.sender_id,
                customer_id=who.customer_id,
                customer_name=who.name,
                reason=reason,
                summary=summary(reason, conversation.latest_text(tracker), checks),
                context=context,
                priority=priority,
                priority_signals=tuple(signals),
                sla_due_at=due_at(now, priority, sla_targets(session), hours),
            ),
            now=now,
        )
    if reason in _PREAMBLE:
        dispatcher.utter_message(response=_PREAMBLE[reason])
    opens = next_opening(now, hours)
    if opens is None:
        wait = render(domain, "utter_wait_minutes", minutes=estimated_wait_minutes(waiting))
        dispatcher.utter_message(response="utter_handoff_open", wait=wait)
    else:
        language = tracker.get_slot("language") or "en"
        when = format_datetime(opens, "EEEE HH:mm", tzinfo=opens.tzinfo, locale=language)
        dispatcher.utter_message(response="utter_handoff_closed", opens=when)
    return [ConversationPaused()]


def estimated_wait_minutes(waiting: int) -> int:
    """A realistic wait: the queue ahead shared among the people on shift, never under 5 minutes."""
    settings = get_settings()
    agents = max(1, settings.support_agents_on_shift)
    minutes = (waiting + 1) * settings.handoff_minutes_per_request / agents
    return max(5, math.ceil(minutes / 5) * 5)


def summary(reason: HandoffReason, last_text: str, checks: list[dict[str, Any]]) -> str:
    """One line for the queue: why, which code (and what the lookup found), what they said."""
    parts = [_REASON_LABEL[reason]]
    if checks:
        last = checks[-1]
        found = (last.get("lookup") or {}).get("summary")
        parts.append(
            f"{last.get('courier') or last.get('kind')} {last.get('normalized') or ''}".strip()
        )
        if found:
            parts.append(found)
    if last_text and not last_text.startswith("/"):
        quoted = last_text if len(last_text) <= 120 else last_text[:117] + "..."
        parts.append(f'"{quoted}"')
    return " — ".join(parts)[:300]


def tell_what_the_store_knows(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> None:
    """Codes in the latest message get their lookup answered, whatever the message asked."""
    language = tracker.get_slot("language") or "en"
    for found in codes_in_latest_message(tracker):
        if found.known:
            answer_lookup(dispatcher, domain, found, language)


class ActionHandoff(Action):
    """The customer asked for a person, or complained: hand off at once."""

    def name(self) -> str:
        return "action_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        tell_what_the_store_knows(dispatcher, tracker, domain)
        intent = conversation.latest_intent(tracker)
        if intent == "complaint":
            reason = HandoffReason.COMPLAINT
        elif intent == "deny":  # said no when asked for a code: a person finds the order
            problem = conversation.parcel_purpose(tracker) == "delivery_problem"
            reason = HandoffReason.DELIVERY_PROBLEM if problem else HandoffReason.OTHER
        else:
            reason = HandoffReason.CUSTOMER_REQUEST
        return hand_off(dispatcher, tracker, domain, reason)
