"""X media (photo, video, GIF) as the neutral `Attachment` the engine can read."""

from __future__ import annotations

from inbox.messages import Attachment

# X's media types → the neutral kind, and the text the engine reads in the media's place.
_KINDS = {
    "photo": ("image", "[photo]"),
    "video": ("video", "[video]"),
    "animated_gif": ("video", "[GIF]"),
}


def attachment(media_type: object, url: str | None) -> Attachment:
    """The attachment for one X media item; unknown types become a generic file."""
    kind, description = _KINDS.get(str(media_type), ("file", "[attachment]"))
    return Attachment(kind=kind, url=url, description=description)
