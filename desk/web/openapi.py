"""The OpenAPI 3.1 document of the desk's JSON API, served at /desk/api/openapi.json.

Written by hand next to the handlers (api.py) rather than generated from them: the handlers stay
plain aiohttp, and a test walks the app's router so a route missing here (or a path here that
nothing serves) fails the build. The response schemas are checked against real answers too.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from desk.tickets import NOTE_MAX, REPLY_MAX
from desk.web.auth import COOKIE_NAME, CSRF_HEADER
from store.models import AgentRole, HandoffReason, HandoffStatus, Priority, Resolution

LIST_LIMIT_MAX = 500
LIST_LIMIT_DEFAULT = 200

JSON = "application/json"
Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Schema) -> Schema:
    return {"oneOf": [schema, {"type": "null"}]}


def _object(required: list[str], **properties: Schema) -> Schema:
    return {"type": "object", "required": required, "properties": properties}


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
TIME: Schema = {"type": "string", "format": "date-time"}
MAYBE_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
MAYBE_STRING: Schema = {"type": ["string", "null"]}

SCHEMAS: dict[str, Schema] = {
    "Error": _object(
        ["error"],
        error=_object(
            ["code", "message"],
            code={**STRING, "description": "Stable, for programs: e.g. `conflict`, `csrf`."},
            message={**STRING, "description": "For people: what happened and what to do."},
        ),
    ),
    "Agent": _object(
        ["id", "username", "name", "role"],
        id=INTEGER,
        username=STRING,
        name=STRING,
        role={"enum": [role.value for role in AgentRole]},
    ),
    "Session": _object(
        ["agent", "csrf_token"],
        agent=_ref("Agent"),
        csrf_token={
            **STRING,
            "description": f"Send it back in the `{CSRF_HEADER}` header on every POST.",
        },
    ),
    "Credentials": _object(
        ["username", "password"], username={**STRING, "minLength": 1}, password=STRING
    ),
    "SignedOut": _object(["signed_out"], signed_out={"const": True}),
    "Ticket": _object(
        [
            "id",
            "status",
            "platform",
            "customer",
            "reason",
            "summary",
            "priority",
            "priority_signals",
            "created_at",
            "waiting_seconds",
            "sla_due_at",
            "sla_breached",
            "assignee",
            "first_response_at",
            "closed_at",
            "resolution",
        ],
        id=INTEGER,
        status={"enum": [status.value for status in HandoffStatus]},
        platform={**STRING, "examples": ["messenger", "x"]},
        customer=_object(
            ["id", "name"],
            id={**STRING, "description": "The customer's id on their platform."},
            name=MAYBE_STRING,
        ),
        reason={"enum": [reason.value for reason in HandoffReason]},
        summary={**STRING, "description": "One line: why, which code, what they said."},
        priority={"enum": [priority.value for priority in Priority]},
        priority_signals={
            "type": "array",
            "items": STRING,
            "description": "Why this priority (complaint, lost parcel, repeated contact, ...).",
        },
        created_at=TIME,
        waiting_seconds={**INTEGER, "description": "Since the handoff (until it was closed)."},
        sla_due_at={**MAYBE_TIME, "description": "A person's first reply is due then."},
        sla_breached={"type": "boolean"},
        assignee=_nullable(_object(["id", "name"], id=INTEGER, name=MAYBE_STRING)),
        first_response_at=MAYBE_TIME,
        closed_at=MAYBE_TIME,
        resolution={"enum": [*(r.value for r in Resolution), None]},
    ),
    "TranscriptEntry": _object(
        ["kind", "text", "at", "author", "delivery", "error"],
        kind={"enum": ["customer", "bot", "agent", "note"]},
        text=STRING,
        at=MAYBE_TIME,
        author={**MAYBE_STRING, "description": "The agent, for replies and notes."},
        delivery={
            "enum": ["pending", "sending", "sent", "failed", None],
            "description": "Where a reply is on its way to the customer.",
        },
        error={**MAYBE_STRING, "description": "Why a reply was not delivered."},
    ),
    "CodeSeen": {
        "type": "object",
        "description": "A code the customer gave, as the bot understood it (format, courier, "
        "what the lookup found).",
        "additionalProperties": True,
    },
    "TicketDetail": {
        "allOf": [
            _ref("Ticket"),
            _object(
                [
                    "conversation",
                    "language",
                    "intents",
                    "codes",
                    "last_customer_message_at",
                    "transcript",
                    "profile_url",
                ],
                customer=_object(["handle"], handle=MAYBE_STRING),
                conversation={**STRING, "description": "platform:account:user"},
                language=STRING,
                intents={"type": "array", "items": STRING},
                codes={"type": "array", "items": _ref("CodeSeen")},
                last_customer_message_at=MAYBE_TIME,
                transcript={"type": "array", "items": _ref("TranscriptEntry")},
                profile_url={
                    "type": ["string", "null"],
                    "format": "uri",
                    "description": "The customer's profile on their platform, where one exists.",
                },
            ),
        ]
    },
    "TicketList": _object(
        ["tickets", "counts"],
        tickets={"type": "array", "items": _ref("Ticket")},
        counts=_object(
            ["open", "claimed"],
            open={**INTEGER, "description": "Waiting for someone to claim them."},
            claimed=INTEGER,
        ),
    ),
    "Reply": _object(["text"], text={**STRING, "minLength": 1, "maxLength": REPLY_MAX}),
    "ReplyQueued": _object(
        ["outbox_id", "status"],
        outbox_id=INTEGER,
        status={"const": "pending", "description": "Queued: the outbox delivers it."},
    ),
    "Note": _object(["text"], text={**STRING, "minLength": 1, "maxLength": NOTE_MAX}),
    "NoteAdded": _object(["note_id"], note_id=INTEGER),
    "CannedReplies": _object(
        ["canned_replies"],
        canned_replies={
            "type": "array",
            "items": _object(["id", "title", "text"], id=INTEGER, title=STRING, text=STRING),
        },
    ),
    "OpenApiDocument": {"type": "object", "description": "This document."},
}


def _error(description: str, **headers: Schema) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": _ref("Error")}},
    }
    if headers:
        response["headers"] = {name: {"schema": schema} for name, schema in headers.items()}
    return response


RESPONSES: dict[str, Any] = {
    "BadRequest": _error("The body or a parameter is wrong; the message names it."),
    "Unauthenticated": _error("Not signed in (or the account was deactivated)."),
    "Forbidden": _error(
        f"A cross-site request (`code`: cross_site), or the `{CSRF_HEADER}` header is missing "
        "or wrong (`code`: csrf)."
    ),
    "NotFound": _error("There is no such ticket."),
    "Conflict": _error("Another agent has the ticket, or it is closed; the message says which."),
    "TooLarge": _error("The body is larger than the desk accepts (64 KiB)."),
    "UnsupportedMediaType": _error("The body is not `application/json`."),
}


def _ok(description: str, schema: str, status: str = "200") -> dict[str, Any]:
    return {status: {"description": description, "content": {JSON: {"schema": _ref(schema)}}}}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": _ref(schema)}}}


def _operation(
    operation_id: str,
    summary: str,
    responses: dict[str, Any],
    *,
    tag: str,
    body: str | None = None,
    changes: bool = False,
    public: bool = False,
    description: str | None = None,
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One operation, with the errors every route of its kind can answer."""
    params = parameters or []
    refs = {
        status: {"$ref": f"#/components/responses/{name}"}
        for status, name, applies in (
            ("400", "BadRequest", body is not None or any(p["in"] == "query" for p in params)),
            ("401", "Unauthenticated", not public),
            ("403", "Forbidden", changes),
            ("413", "TooLarge", body is not None),
            ("415", "UnsupportedMediaType", body is not None),
        )
        if applies
    }
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "responses": {**refs, **responses},
    }
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = _body(body)
    if public:
        operation["security"] = []
    elif changes:
        operation["security"] = [{"session": [], "csrf": []}]
    return operation


TICKET_ID = {
    "name": "ticket_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
NOT_FOUND = {"404": {"$ref": "#/components/responses/NotFound"}}
CONFLICT = {"409": {"$ref": "#/components/responses/Conflict"}}
ENGINE_UNREACHABLE = {
    "503": _error(
        "The assistant could not be resumed; the ticket stays as it was. Try again shortly."
    )
}


def _paths() -> dict[str, Any]:
    api = "/desk/api"
    ticket = f"{api}/tickets/{{ticket_id}}"
    return {
        f"{api}/login": {
            "post": _operation(
                "logIn",
                "Sign in",
                {
                    **_ok("Signed in: the session cookie is set.", "Session"),
                    "401": _error("Wrong user name or password."),
                    "429": _error(
                        "Too many failed sign-ins for this name or address: wait `Retry-After` "
                        "seconds (it doubles with each further failure).",
                        **{"Retry-After": {"type": "integer", "minimum": 1}},
                    ),
                },
                tag="session",
                body="Credentials",
                changes=True,
                public=True,
                description="Sets the session cookie and answers the CSRF token to send with "
                "every later POST. JSON only, and same-site only (no token is needed yet).",
            )
        },
        f"{api}/logout": {
            "post": _operation(
                "logOut", "Sign out", _ok("Signed out.", "SignedOut"), tag="session", changes=True
            )
        },
        f"{api}/me": {
            "get": _operation(
                "me",
                "Who is signed in, and the session's CSRF token",
                _ok("The signed-in agent.", "Session"),
                tag="session",
            )
        },
        f"{api}/tickets": {
            "get": _operation(
                "listTickets",
                "The queue",
                _ok("Tickets by priority, then SLA due time, then age.", "TicketList"),
                tag="tickets",
                parameters=[
                    {
                        "name": "status",
                        "in": "query",
                        "description": "Which tickets; without it, open and claimed ones.",
                        "schema": {"enum": ["open", "claimed", "closed", "all"]},
                    },
                    {
                        "name": "mine",
                        "in": "query",
                        "description": "Only tickets the signed-in agent owns.",
                        "schema": {"type": "boolean", "default": False},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": LIST_LIMIT_MAX,
                            "default": LIST_LIMIT_DEFAULT,
                        },
                    },
                    {
                        "name": "offset",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 0, "default": 0},
                    },
                ],
            )
        },
        ticket: {
            "get": _operation(
                "getTicket",
                "A ticket with its context and transcript",
                {**_ok("The ticket.", "TicketDetail"), **NOT_FOUND},
                tag="tickets",
                parameters=[TICKET_ID],
            )
        },
        f"{ticket}/claim": {
            "post": _operation(
                "claimTicket",
                "Take an open ticket",
                {**_ok("Yours now (claiming your own again is harmless).", "TicketDetail")}
                | NOT_FOUND
                | CONFLICT,
                tag="tickets",
                changes=True,
                parameters=[TICKET_ID],
                description="Atomic: of two agents claiming at once, exactly one gets it; the "
                "other is answered 409 naming the owner.",
            )
        },
        f"{ticket}/messages": {
            "post": _operation(
                "replyToCustomer",
                "Send the customer a message",
                {
                    **_ok(
                        "Queued in the outbox; the transcript shows its delivery.",
                        "ReplyQueued",
                        "202",
                    ),
                    **NOT_FOUND,
                    **CONFLICT,
                    "422": _error(
                        "The platform does not let a person reply now (Messenger: more than 7 "
                        "days after the customer's last message), or it has no sender configured."
                    ),
                },
                tag="tickets",
                body="Reply",
                changes=True,
                parameters=[TICKET_ID],
                description="Claims an open ticket for the sender.",
            )
        },
        f"{ticket}/notes": {
            "post": _operation(
                "addNote",
                "Add a private note (never sent)",
                {**_ok("Added.", "NoteAdded", "201"), **NOT_FOUND},
                tag="tickets",
                body="Note",
                changes=True,
                parameters=[TICKET_ID],
            )
        },
        f"{ticket}/return-to-bot": {
            "post": _operation(
                "returnToBot",
                "Hand the conversation back to the assistant",
                {**_ok("Closed as returned to the bot.", "TicketDetail")}
                | NOT_FOUND
                | CONFLICT
                | ENGINE_UNREACHABLE,
                tag="tickets",
                changes=True,
                parameters=[TICKET_ID],
                description="Resumes the assistant for the conversation, tells the customer, "
                "and closes the ticket.",
            )
        },
        f"{ticket}/close": {
            "post": _operation(
                "closeTicket",
                "Close the ticket",
                {**_ok("Closed.", "TicketDetail")} | NOT_FOUND | CONFLICT | ENGINE_UNREACHABLE,
                tag="tickets",
                changes=True,
                parameters=[TICKET_ID],
                description="The assistant answers the customer's next message (and may hand "
                "off again, opening a new ticket).",
            )
        },
        f"{api}/canned-replies": {
            "get": _operation(
                "listCannedReplies",
                "Saved replies agents can insert",
                _ok("By title.", "CannedReplies"),
                tag="tickets",
            )
        },
        f"{api}/openapi.json": {
            "get": _operation(
                "openApiDocument",
                "This document",
                _ok("OpenAPI 3.1.", "OpenApiDocument"),
                tag="meta",
            )
        },
    }


@cache
def document() -> dict[str, Any]:
    """The whole document (built once; treat it as read-only)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Supportbot desk API",
            "version": "1",
            "description": (
                "Drive the desk from other tools: sign in, list tickets, read one with its "
                "context and transcript, claim, reply, add notes, return to the bot, close.\n\n"
                "Sign in with `POST /desk/api/login`: it sets the session cookie "
                f"(`{COOKIE_NAME}`) and answers a CSRF token. Every other route needs the "
                f"cookie; every POST also needs the token in the `{CSRF_HEADER}` header and "
                "must not be cross-site. Errors are JSON: "
                '`{"error": {"code": "...", "message": "..."}}`.'
            ),
        },
        "tags": [
            {"name": "session", "description": "Signing in and out."},
            {"name": "tickets", "description": "The queue and working a ticket."},
            {"name": "meta", "description": "About the API."},
        ],
        "security": [{"session": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": COOKIE_NAME,
                    "description": "Set by POST /desk/api/login; encrypted and signed.",
                },
                "csrf": {
                    "type": "apiKey",
                    "in": "header",
                    "name": CSRF_HEADER,
                    "description": "The `csrf_token` from the login (or GET /desk/api/me).",
                },
            },
            "schemas": SCHEMAS,
            "responses": RESPONSES,
        },
    }
