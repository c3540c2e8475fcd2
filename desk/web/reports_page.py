"""The reports page: the desk's figures (desk.reports) as bar charts drawn on the server.

Charts are inline SVG built from plain geometry here and written out by the template, so the
page needs no script and no chart library (the CSP allows neither inline code nor other
origins). Each chart has a title and axis labels, every bar a tooltip (<title>), and the same
numbers sit in a table under it for screen readers and for copying.

    GET /desk/reports?from=2025-03-01&to=2025-03-14&platform=messenger
    GET /desk/reports.json?...   the same figures as JSON
"""

from __future__ import annotations

import asyncio
import math
import time
import weakref
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from desk.preferences import business_hours
from desk.reports import MAX_DAYS, Distribution, Report, build_report, totals
from desk.web.auth import csrf_token, current_agent, json_error, signed_in
from desk.web.state import DESK, DESK_SESSIONS

routes = web.RouteTableDef()

DEFAULT_DAYS = 14
SERIES_CLASSES = 8  # .s0 … .s7 in reports.css
# A report of two weeks reads every message of those weeks (some 50,000 rows at 4,000 messages a
# day: a few hundred milliseconds on SQLite). Figures a minute old are fine for a report, so each
# filter is computed at most once a minute per process, however many people look.
CACHE_SECONDS = 60.0

# --- the routes ---------------------------------------------------------------------------


@routes.get("/reports", name="reports")
@signed_in
async def reports_page(request: web.Request) -> web.StreamResponse:
    """The charts for the range and platform in the query string (default: the last 14 days)."""
    agent = await current_agent(request)
    platforms = _platforms(request)
    error = None
    try:
        start, end, platform = _filters(request, platforms)
    except ValueError as problem:
        error = str(problem)
        start, end, platform = None, None, None
    report = await _report(request, start, end, platform)
    context = {
        "agent": agent,
        "csrf_token": await csrf_token(request),
        "section": "reports",
        "report": report,
        "error": error,
        "platforms": [(name, platform_label(name)) for name in platforms],
        "charts": charts(report),
        "summary": summary(report),
        "json_url": "/desk/reports.json?" + _query(report),
        "as_of": f"{report.generated_at.astimezone(ZoneInfo(report.timezone)):%H:%M:%S}",
    }
    response = aiohttp_jinja2.render_template("reports.html", request, context)
    if error:
        response.set_status(400)
    return response


@routes.get("/reports.json", name="reports_json")
async def reports_json(request: web.Request) -> web.StreamResponse:
    """The same figures as JSON (desk.reports.Report.as_json)."""
    if await current_agent(request) is None:
        return json_error(401, "unauthenticated", "Sign in first (POST /desk/api/login).")
    try:
        start, end, platform = _filters(request, _platforms(request))
    except ValueError as problem:
        return json_error(400, "bad_request", str(problem))
    report = await _report(request, start, end, platform)
    return web.json_response(report.as_json())


async def _report(
    request: web.Request, start: date | None, end: date | None, platform: str | None
) -> Report:
    sessions = request.config_dict[DESK_SESSIONS]

    def timezone() -> Any:
        with sessions() as session:
            return business_hours(session).timezone

    zone = await asyncio.to_thread(timezone)
    last = end or datetime.now(UTC).astimezone(zone).date()
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)

    def read() -> Report:
        with sessions() as session:
            return build_report(session, first, last, zone, platform=platform)

    cache = _caches.setdefault(sessions, ReportCache(CACHE_SECONDS))
    return await cache.get((first, last, platform, zone.key), lambda: asyncio.to_thread(read))


class ReportCache:
    """Reports by filter for `ttl` seconds; a report being computed is shared by everyone who
    asks for it meanwhile (one computation, not one per page view)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[Hashable, tuple[float, asyncio.Future[Report]]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[Report]]) -> Report:
        now = time.monotonic()
        self._entries = {k: e for k, e in self._entries.items() if now - e[0] < self.ttl}
        entry = self._entries.get(key)
        if entry is None:
            entry = (now, asyncio.ensure_future(compute()))
            self._entries[key] = entry
        try:
            # Shielded: a page closed while waiting does not cancel the others' report.
            return await asyncio.shield(entry[1])
        except Exception:
            if self._entries.get(key) is entry:
                del self._entries[key]  # the next request tries again
            raise


# One cache per database (per gateway app): tests and tools run several in one process.
_caches: weakref.WeakKeyDictionary[Any, ReportCache] = weakref.WeakKeyDictionary()


def _platforms(request: web.Request) -> list[str]:
    """Every platform the gateway serves (configured or not: old tickets keep theirs)."""
    return sorted(request.config_dict[DESK].channels)


def _filters(
    request: web.Request, platforms: Sequence[str]
) -> tuple[date | None, date | None, str | None]:
    """(from, to, platform) from the query string; ValueError says what is wrong."""
    query = request.query
    start = _date(query.get("from"), "from")
    end = _date(query.get("to"), "to")
    if start and end:
        if end < start:
            raise ValueError("The range ends before it starts.")
        if (end - start).days + 1 > MAX_DAYS:
            raise ValueError(f"Choose at most {MAX_DAYS} days.")
    elif start is not None:
        # One end given: the other follows at the default distance.
        end = start + timedelta(days=DEFAULT_DAYS - 1)
    elif end is not None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    platform = query.get("platform") or None
    if platform is not None and platform not in platforms:
        raise ValueError(f"Unknown platform {platform!r}; choose one of {', '.join(platforms)}.")
    return start, end, platform


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a date like 2025-03-14.") from None


def _query(report: Report) -> str:
    values = {"from": report.start.isoformat(), "to": report.end.isoformat()}
    if report.platform:
        values["platform"] = report.platform
    return urlencode(values)


# --- the charts' geometry -----------------------------------------------------------------

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 64


@dataclass(frozen=True)
class Series:
    """One colour of a chart: a value per category (None: no value, no bar)."""

    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    tooltip: str


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Table:
    """The chart's numbers for screen readers: a header row and rows of cells."""

    headers: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class Chart:
    """One bar chart, ready for the template to write out as SVG."""

    id: str
    title: str
    description: str
    x_label: str
    y_label: str
    bars: Sequence[Bar]
    x_ticks: Sequence[Tick]
    y_ticks: Sequence[Tick]
    legend: Sequence[tuple[str, str]]  # (css class, name)
    table: Table
    empty: bool
    width: int = WIDTH
    height: int = HEIGHT
    plot: tuple[float, float, float, float] = field(
        default=(LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM)  # left, top, right, bottom
    )


def bar_chart(
    id: str,
    title: str,
    description: str,
    *,
    categories: Sequence[str],
    series: Sequence[Series],
    x_label: str,
    y_label: str,
    table: Table,
    stacked: bool = True,
    fmt: Callable[[float], str] = lambda value: f"{value:,.0f}",
    axis_max: float | None = None,
) -> Chart:
    """Bars per category: one stacked column of all series, or one bar per series side by side.
    `axis_max` fixes the top of the axis (100 for shares)."""
    left, top, right, bottom = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM
    plot_height = bottom - top
    count = max(1, len(categories))
    band = (right - left) / count
    if stacked:
        peaks = [sum(s.values[n] or 0 for s in series) for n in range(len(categories))]
    else:
        peaks = [max((s.values[n] or 0 for s in series), default=0) for n in range(len(categories))]
    peak = max(peaks, default=0)
    step, ceiling = nice_axis(axis_max if axis_max is not None else peak)

    def y_of(value: float) -> float:
        return bottom - plot_height * value / ceiling

    bars: list[Bar] = []
    for n, category in enumerate(categories):
        inner = band * 0.72
        x0 = left + n * band + (band - inner) / 2
        base = 0.0
        for k, one in enumerate(series):
            value = one.values[n]
            if value is None or value <= 0:
                continue
            css = f"s{k % SERIES_CLASSES}"
            tooltip = f"{category} · {one.name}: {fmt(value)}"
            if stacked:
                bars.append(
                    Bar(
                        x0, y_of(base + value), inner, y_of(base) - y_of(base + value), css, tooltip
                    )
                )
                base += value
            else:
                width = inner / len(series)
                bars.append(
                    Bar(x0 + k * width, y_of(value), width, bottom - y_of(value), css, tooltip)
                )
    every = math.ceil(len(categories) / 15) or 1
    x_ticks = [
        Tick(left + (n + 0.5) * band, label) for n, label in enumerate(categories) if n % every == 0
    ]
    y_ticks = [Tick(y_of(step * k), fmt(step * k)) for k in range(round(ceiling / step) + 1)]
    return Chart(
        id=id,
        title=title,
        description=description,
        x_label=x_label,
        y_label=y_label,
        bars=bars,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        legend=[(f"s{k % SERIES_CLASSES}", s.name) for k, s in enumerate(series)],
        table=table,
        empty=not bars,
    )


def nice_axis(peak: float, ticks: int = 5) -> tuple[float, float]:
    """(step, top) of an axis from 0 past `peak` in about `ticks` steps of 1, 2 or 5 × 10ⁿ."""
    if peak <= 0:
        return 1.0, float(ticks)
    rough = peak / ticks
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    return float(step), float(step * math.ceil(peak / step))


# --- the report as charts -------------------------------------------------------------------


def charts(report: Report) -> list[Chart]:
    """The page's charts, in reading order."""
    days = report.days
    labels = [day_label(day) for day in days]
    platforms = list(report.platforms) or ([report.platform] if report.platform else [])
    return [
        _inbound(report, days, labels, platforms),
        _answered(report, days, labels, platforms),
        _first_response(
            "bot-first-response",
            "Bot first-response time",
            "From a customer's message to the bot's first reply reaching the platform, "
            "all days of the range.",
            "messages",
            [b.label for b in report.bot_buckets],
            report.bot_first_response,
            platforms,
        ),
        _first_response(
            "human-first-response",
            "Human first-response time",
            "From a ticket's creation to a person's first reply, tickets created in the range.",
            "tickets",
            [b.label for b in report.human_buckets],
            report.human_first_response,
            platforms,
        ),
        _containment(report, days, labels, platforms),
        _handoffs(report, days, labels),
        _pickup(report, days, labels),
        _sla(report, days, labels, platforms),
    ]


def summary(report: Report) -> list[tuple[str, str]]:
    """The range's totals, for the line above the charts."""
    inbound = sum(m.inbound for m in report.messages)
    answered = sum(m.answered for m in report.messages)
    conversations = sum(c.conversations for c in report.containment)
    contained = sum(c.contained for c in report.containment)
    tickets = sum(h.count for h in report.handoffs)
    with_sla = sum(s.tickets for s in report.sla)
    breached = sum(s.breached for s in report.sla)
    return [
        ("Inbound messages", f"{inbound:,}"),
        ("Answered", share(answered, inbound)),
        ("Bot containment", share(contained, conversations)),
        ("Handoffs", f"{tickets:,}"),
        ("SLA breaches", f"{breached:,} of {with_sla:,}"),
    ]


def _inbound(report: Report, days: list[date], labels: list[str], platforms: list[str]) -> Chart:
    counts = {(m.day, m.platform): m for m in report.messages}
    series = [
        Series(platform_label(p), [_count(counts.get((d, p)), "inbound") for d in days])
        for p in platforms
    ]
    rows = [
        [
            day_label(m.day),
            platform_label(m.platform),
            f"{m.inbound:,}",
            f"{m.answered:,}",
            share(m.answered, m.inbound),
        ]
        for m in report.messages
    ]
    return bar_chart(
        "inbound",
        "Inbound messages",
        "Customer messages received per day, by platform.",
        categories=labels,
        series=series,
        x_label="Day",
        y_label="Messages",
        table=Table(["Day", "Platform", "Inbound", "Answered", "Share answered"], rows),
    )


def _answered(report: Report, days: list[date], labels: list[str], platforms: list[str]) -> Chart:
    counts = {(m.day, m.platform): m for m in report.messages}
    series = [
        Series(platform_label(p), [_percent(counts.get((d, p)), "share_answered") for d in days])
        for p in platforms
    ]
    rows = [
        [
            day_label(m.day),
            platform_label(m.platform),
            f"{m.answered:,} of {m.inbound:,}",
            share(m.answered, m.inbound),
        ]
        for m in report.messages
    ]
    return bar_chart(
        "answered",
        "Share of inbound messages answered",
        "A message is answered when a reply (bot or person) that was sent followed it in its "
        "conversation.",
        categories=labels,
        series=series,
        x_label="Day",
        y_label="Answered (%)",
        table=Table(["Day", "Platform", "Answered", "Share"], rows),
        stacked=False,
        fmt=lambda value: f"{value:.0f}%",
        axis_max=100,
    )


def _first_response(
    id: str,
    title: str,
    description: str,
    unit: str,
    buckets: list[str],
    rows: Sequence[Distribution],
    platforms: list[str],
) -> Chart:
    by_platform = {p: totals((r for r in rows if r.platform == p), len(buckets)) for p in platforms}
    series = [Series(platform_label(p), [float(c) for c in by_platform[p]]) for p in platforms]
    table_rows = [
        [day_label(r.day), platform_label(r.platform), *(f"{c:,}" for c in r.counts)] for r in rows
    ]
    return bar_chart(
        id,
        title,
        description,
        categories=buckets,
        series=series,
        x_label="Time to first reply",
        y_label=unit.capitalize(),
        table=Table(["Day", "Platform", *buckets], table_rows),
    )


def _containment(
    report: Report, days: list[date], labels: list[str], platforms: list[str]
) -> Chart:
    rows_by = {(c.day, c.platform): c for c in report.containment}
    series = [
        Series(platform_label(p), [_percent(rows_by.get((d, p)), "share_contained") for d in days])
        for p in platforms
    ]
    rows = [
        [
            day_label(c.day),
            platform_label(c.platform),
            f"{c.conversations:,}",
            f"{c.contained:,}",
            share(c.contained, c.conversations),
        ]
        for c in report.containment
    ]
    return bar_chart(
        "containment",
        "Bot containment",
        "Of the conversations with a customer message that day, the share the bot handled "
        "without handing over to a person that day.",
        categories=labels,
        series=series,
        x_label="Day",
        y_label="Contained (%)",
        table=Table(["Day", "Platform", "Conversations", "Without a person", "Share"], rows),
        stacked=False,
        fmt=lambda value: f"{value:.0f}%",
        axis_max=100,
    )


def _handoffs(report: Report, days: list[date], labels: list[str]) -> Chart:
    reasons = sorted({h.reason for h in report.handoffs})
    per: dict[tuple[date, str], int] = defaultdict(int)
    for h in report.handoffs:
        per[(h.day, h.reason)] += h.count
    series = [Series(reason_label(r), [float(per.get((d, r), 0)) for d in days]) for r in reasons]
    rows = [
        [day_label(h.day), platform_label(h.platform), reason_label(h.reason), f"{h.count:,}"]
        for h in report.handoffs
    ]
    return bar_chart(
        "handoffs",
        "Handoffs by reason",
        "Tickets created per day, by why the bot handed the conversation to a person.",
        categories=labels,
        series=series,
        x_label="Day",
        y_label="Tickets",
        table=Table(["Day", "Platform", "Reason", "Tickets"], rows),
    )


def _pickup(report: Report, days: list[date], labels: list[str]) -> Chart:
    overall = {p.day: p for p in report.pickup if p.platform is None}

    def minutes(day: date, which: str) -> float | None:
        row = overall.get(day)
        value = getattr(row, which) if row else None
        return value / 60 if value is not None else None

    series = [
        Series("Median", [minutes(d, "median_seconds") for d in days]),
        Series("90th percentile", [minutes(d, "p90_seconds") for d in days]),
    ]
    rows = [
        [
            day_label(p.day),
            platform_label(p.platform) if p.platform else "All",
            f"{p.picked_up:,}",
            duration(p.median_seconds),
            duration(p.p90_seconds),
        ]
        for p in report.pickup
    ]
    return bar_chart(
        "pickup",
        "Agent pickup time",
        "From a ticket's creation to a person taking it, tickets created that day.",
        categories=labels,
        series=series,
        x_label="Day",
        y_label="Minutes",
        table=Table(["Day", "Platform", "Picked up", "Median", "90th percentile"], rows),
        stacked=False,
        fmt=lambda value: f"{value:,.1f}" if 0 < value < 10 else f"{value:,.0f}",
    )


def _sla(report: Report, days: list[date], labels: list[str], platforms: list[str]) -> Chart:
    rows_by = {(s.day, s.platform): s for s in report.sla}
    series = [
        Series(platform_label(p), [_count(rows_by.get((d, p)), "breached") for d in days])
        for p in platforms
    ]
    rows = [
        [day_label(s.day), platform_label(s.platform), f"{s.tickets:,}", f"{s.breached:,}"]
        for s in report.sla
    ]
    return bar_chart(
        "sla",
        "SLA breaches",
        "Tickets created that day whose first reply by a person came after the SLA due time, "
        "or has not come and the due time has passed.",
        categories=labels,
        series=series,
        x_label="Day",
        y_label="Tickets",
        table=Table(["Day", "Platform", "Tickets with an SLA", "Breached"], rows),
    )


# --- words and numbers ----------------------------------------------------------------------


def day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def platform_label(platform: str) -> str:
    return {"x": "X", "messenger": "Messenger"}.get(platform, platform.capitalize())


def reason_label(reason: str) -> str:
    return reason.replace("_", " ").capitalize()


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _count(row: Any, attribute: str) -> float | None:
    return float(getattr(row, attribute)) if row is not None else None


def _percent(row: Any, attribute: str) -> float | None:
    value = getattr(row, attribute) if row is not None else None
    return 100 * value if value is not None else None
