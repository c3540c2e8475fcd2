"""What the desk's browser tests share: Debian's chromium's launch arguments, numbered
screenshots (tests/artifacts/desk/<test>/, kept after the run), and watching a page for errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Page

from settings import REPO_ROOT

ARTIFACTS = REPO_ROOT / "tests" / "artifacts" / "desk"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]


@dataclass
class Screenshots:
    """Numbered full-page screenshots, one per step."""

    folder: Path
    taken: list[Path] = field(default_factory=list)

    async def take(self, page: Page, step: str) -> None:
        path = self.folder / f"{len(self.taken) + 1:02d}-{step}.png"
        await page.screenshot(path=path, full_page=True)
        self.taken.append(path)


def watch_for_problems(page: Page) -> list[str]:
    """Script errors, CSP violations (console errors) and failed fetches of `page`."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        # Pages answering 4xx are the test's to check (a refused action shows its reason).
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    return problems


async def sign_in(page: Page, username: str, password: str) -> None:
    """Through the form, from the queue's address."""
    await page.goto("/desk/")
    await page.get_by_label("User name").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="Queue", exact=True).wait_for()
