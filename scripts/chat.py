"""Chat with the running assistant through its REST channel (`make chat`, after `make run`).

Buttons are shown numbered; type the number to press one.
"""

from __future__ import annotations

import os
import sys
import uuid

import requests


def main() -> None:
    url = f"http://127.0.0.1:{os.environ.get('ENGINE_PORT', '5005')}/webhooks/rest/webhook"
    token = os.environ.get("RASA_TOKEN")
    sender = f"shell-{uuid.uuid4().hex[:8]}"
    buttons: list[dict[str, str]] = []
    print("Type a message (Ctrl-D to quit).")
    for line in sys.stdin if not sys.stdin.isatty() else iter(lambda: input("you> "), None):
        text = line.strip()
        if text.isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        reply = requests.post(
            url,
            json={"sender": sender, "message": text, "metadata": {"platform": "shell"}},
            params={"token": token} if token else None,
            timeout=60,
        )
        reply.raise_for_status()
        buttons = []
        messages = reply.json()
        if not messages:  # a paused conversation: a person has it now
            print("bot> (no reply)")
        for message in messages:
            if message.get("text"):
                print(f"bot> {message['text']}")
            for button in message.get("buttons") or []:
                buttons.append(button)
                print(f"     [{len(buttons)}] {button['title']}")


if __name__ == "__main__":
    try:
        main()
    except (EOFError, KeyboardInterrupt):
        print()
