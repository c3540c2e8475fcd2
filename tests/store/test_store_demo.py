"""The demo data set: loaded once into an empty store, consistent, and made of real test numbers."""

from __future__ import annotations

import csv
import json
import multiprocessing
import re
import traceback
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from settings import get_settings
from store.db import prepare_database, session_factory
from store.demo import DEMO_DIR, EVENTS_CSV, ORDERS_CSV, SHIPMENTS_CSV, load_demo_data
from store.demo import main as demo_cli
from store.lookup import find_shipment
from store.models import Base, Order, OrderStatus, Shipment, ShipmentEvent, ShipmentStatus


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


ORDERS = csv_rows(ORDERS_CSV)
SHIPMENTS = csv_rows(SHIPMENTS_CSV)
EVENTS = csv_rows(EVENTS_CSV)


def count(session: Session, model: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def counts(session: Session) -> tuple[int, int, int]:
    """Orders, shipments, events."""
    return count(session, Order), count(session, Shipment), count(session, ShipmentEvent)


def engine_counts(engine: Engine) -> tuple[int, int, int]:
    with session_factory(engine)() as session:
        return counts(session)


EXPECTED_COUNTS = (len(ORDERS), len(SHIPMENTS), len(EVENTS))


def test_the_demo_has_about_twenty_orders_over_several_couriers_and_every_status() -> None:
    assert len(ORDERS) == 20
    couriers = {row["courier_code"] for row in SHIPMENTS}
    assert couriers == {"ups", "usps", "fedex", "dhl", "amazon", "s10"}
    assert {row["status"] for row in ORDERS} == {s.value for s in OrderStatus}
    assert {row["status"] for row in SHIPMENTS} == {s.value for s in ShipmentStatus}


def test_prepare_database_loads_the_demo_into_an_empty_store_once(database_url: str) -> None:
    first = prepare_database(database_url, load_demo=True)
    assert engine_counts(first) == EXPECTED_COUNTS
    first.dispose()

    second = prepare_database(database_url, load_demo=True)
    assert engine_counts(second) == EXPECTED_COUNTS
    second.dispose()


def test_loading_the_demo_again_re_anchors_dates_without_duplicates(session: Session) -> None:
    first = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)
    load_demo_data(session, now=first)
    later = first + timedelta(days=30)

    load_demo_data(session, now=later)

    assert counts(session) == EXPECTED_COUNTS
    shipment = find_shipment(session, "1Z5R89390357567127")
    assert (
        shipment is not None and shipment.estimated_delivery == (later + timedelta(days=1)).date()
    )


def test_demo_is_not_loaded_when_disabled_in_settings(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "load_demo_data", False)

    engine = prepare_database(database_url)

    assert engine_counts(engine) == (0, 0, 0)
    engine.dispose()


def test_demo_is_not_loaded_into_a_store_that_has_orders(database_url: str) -> None:
    engine = prepare_database(database_url, load_demo=False)
    with session_factory(engine).begin() as session:
        session.add(
            Order(
                code="REAL-1",
                customer_name="A real customer",
                status=OrderStatus.PAID,
                placed_at=datetime(2025, 3, 12, 10, 0, tzinfo=UTC),
                total_amount=Decimal("1.00"),
                currency="EUR",
                items_summary="",
            )
        )

    prepare_database(database_url, load_demo=True).dispose()

    assert engine_counts(engine) == (1, 0, 0)
    engine.dispose()


def prepare_when_told(url: str, barrier: Barrier, outcomes: Queue[str]) -> None:
    try:
        barrier.wait(timeout=30)
        prepare_database(url, load_demo=True).dispose()
        outcomes.put("ok")
    except BaseException:
        outcomes.put(traceback.format_exc())


def test_two_processes_preparing_at_once_load_the_demo_once(database_url: str) -> None:
    # Forked, not spawned: the children start with everything imported, and a barrier
    # releases both at the same instant.
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    outcomes: Queue[str] = context.Queue()
    children = [
        context.Process(target=prepare_when_told, args=(database_url, barrier, outcomes))
        for _ in range(2)
    ]
    for child in children:
        child.start()
    results = [outcomes.get(timeout=60) for _ in children]
    for child in children:
        child.join(timeout=10)

    assert results == ["ok", "ok"]
    engine = prepare_database(database_url, load_demo=False)
    assert engine_counts(engine) == EXPECTED_COUNTS
    engine.dispose()


def test_demo_cli_refreshes_the_demo(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo_cli(["--database-url", database_url]) == 0
    assert demo_cli(["--database-url", database_url]) == 0

    assert "all rows imported" in capsys.readouterr().out
    engine = prepare_database(database_url, load_demo=False)
    assert engine_counts(engine) == EXPECTED_COUNTS
    engine.dispose()


def test_histories_are_chronological_past_and_agree_with_the_shipments(
    demo: Session, demo_now: datetime
) -> None:
    for shipment in demo.scalars(select(Shipment)):
        times = [event.occurred_at for event in shipment.events]
        assert times == sorted(times) and times[-1] <= demo_now, shipment.tracking_number
        last = shipment.events[-1]
        assert last.status == shipment.status, shipment.tracking_number
        if shipment.status is ShipmentStatus.DELIVERED:
            assert shipment.delivered_at == last.occurred_at
        else:
            assert shipment.delivered_at is None
        if shipment.status in {ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY}:
            assert shipment.estimated_delivery is not None
            assert shipment.estimated_delivery >= demo_now.date()


def courier_definitions(repo_root: Path) -> Path:
    for folder in (
        repo_root / "codes" / "couriers",
        repo_root.parent / "shared" / "data" / "tracking_number_data" / "couriers",
    ):
        if (folder / "ups.json").exists():
            return folder
    pytest.skip("courier definitions (tracking_number_data couriers/*.json) not found")


def test_every_demo_tracking_number_is_a_valid_test_number_of_its_courier(repo_root: Path) -> None:
    valid: dict[str, set[str]] = {}
    for path in courier_definitions(repo_root).glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        numbers = valid.setdefault(data["courier_code"], set())
        for fmt in data["tracking_numbers"]:
            numbers.update(re.sub(r"\s+", "", n).upper() for n in fmt["test_numbers"]["valid"])

    for row in SHIPMENTS:
        assert row["tracking_number"] in valid[row["courier_code"]], row


def test_the_readme_lists_every_demo_code() -> None:
    readme = (DEMO_DIR / "README.md").read_text(encoding="utf-8")
    first_cells = set(re.findall(r"^\| `([^`]+)` \|", readme, flags=re.MULTILINE))

    assert first_cells == {row["code"] for row in ORDERS} | {
        row["tracking_number"] for row in SHIPMENTS
    }
