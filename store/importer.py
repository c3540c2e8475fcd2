"""Import orders, shipments and tracking events from CSV files into the store.

    python -m store.importer --orders FILE --shipments FILE --events FILE [--database-url URL]

Any subset of the three files; they are imported in that order, so a shipment may refer to an
order from the same run. Rows are upserted: by order code, by tracking number, and by
(tracking number, occurred_at, description) for events; a row sets every field of its record.
A bad row is reported (file, line, column, what is wrong) and skipped; good rows are imported.
Exit code 0 when every row was imported, 1 when any row or file failed.

Columns (a header row is required; column order is free; `?` marks optional columns):
  orders:     code, customer_name, customer_email?, status, placed_at, total_amount, currency,
              items_summary?
  shipments:  tracking_number, courier_code?, courier_name?, status, estimated_delivery?,
              delivered_at?, order_code?
  events:     tracking_number, occurred_at, location, description, status
Courier code and name may be left empty when the tracking number's format identifies the courier.
Value formats (timestamps need a time zone; relative `now-2d` / `today+1d` forms are accepted):
see `store.cells`.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TypeVar, cast

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from tqdm import tqdm

from store import canonical, cells
from store.cells import CellError
from store.models import Order, OrderStatus, Shipment, ShipmentEvent, ShipmentStatus

T = TypeVar("T")

ORDER_COLUMNS = {
    "code": True,
    "customer_name": True,
    "customer_email": False,
    "status": True,
    "placed_at": True,
    "total_amount": True,
    "currency": True,
    "items_summary": False,
}
SHIPMENT_COLUMNS = {
    "tracking_number": True,
    "courier_code": False,
    "courier_name": False,
    "status": True,
    "estimated_delivery": False,
    "delivered_at": False,
    "order_code": False,
}
EVENT_COLUMNS = {
    "tracking_number": True,
    "occurred_at": True,
    "location": True,
    "description": True,
    "status": True,
}
_CHUNK = 500  # keys per IN (...) query when loading existing records


@dataclass(frozen=True)
class RowError:
    """Why one row (or a whole file, when `line` is None) was not imported."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        column = f"column {self.column!r}: " if self.column else ""
        return f"{where}: {column}{self.message}"


@dataclass
class FileReport:
    """What happened to one file's rows."""

    kind: str  # "orders", "shipments" or "events"
    file: str
    created: int = 0
    updated: int = 0
    failed: int = 0
    ignored_columns: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = (
            f"{self.kind:<9} {self.file}: {self.created} created, {self.updated} updated, "
            f"{self.failed} failed"
        )
        if self.ignored_columns:
            text += f" (ignored columns: {', '.join(self.ignored_columns)})"
        return text


@dataclass
class ImportReport:
    """The outcome of one import run."""

    files: list[FileReport] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every row of every file was imported."""
        return not self.errors

    def summary(self) -> str:
        """A few lines for a person: per-file counts, then the number of problems."""
        lines = [str(report) for report in self.files]
        lines.append(
            "all rows imported" if self.ok else f"{len(self.errors)} problem(s), see above"
        )
        return "\n".join(lines)


class _Row:
    """One CSV row being parsed; collects every bad cell rather than stopping at the first."""

    def __init__(self, file: str, line: int, values: dict[str, str]) -> None:
        self.file, self.line, self.values = file, line, values
        self.errors: list[RowError] = []

    def cell(self, column: str, parse: Callable[[str], T]) -> T:
        """The parsed cell. On a bad value it records the error and returns a placeholder:
        callers must check `errors` before using the row."""
        try:
            return parse(self.values.get(column) or "")
        except CellError as error:
            self.fail(column, str(error))
            return cast(T, None)

    def fail(self, column: str | None, message: str) -> None:
        self.errors.append(RowError(self.file, self.line, column, message))


@dataclass(frozen=True)
class _OrderFields:
    code: str
    customer_name: str
    customer_email: str | None
    status: OrderStatus
    placed_at: datetime
    total_amount: Decimal
    currency: str
    items_summary: str


@dataclass(frozen=True)
class _ShipmentFields:
    tracking_number: str
    courier_code: str
    courier_name: str
    status: ShipmentStatus
    estimated_delivery: date | None
    delivered_at: datetime | None
    order_code: str | None


@dataclass(frozen=True)
class _EventFields:
    tracking_number: str
    occurred_at: datetime
    location: str
    description: str
    status: ShipmentStatus


def import_csv_files(
    session: Session,
    *,
    orders: Path | None = None,
    shipments: Path | None = None,
    events: Path | None = None,
    now: datetime | None = None,
    replace_events: bool = False,
    progress: bool = False,
) -> ImportReport:
    """Upsert the rows of the given files into the session (flushed, not committed).

    `now` anchors relative dates (default: the current time). With `replace_events`, the events
    in the file replace the stored history of every shipment they mention (used by the demo
    data, whose relative timestamps move with each load).
    """
    # Whole minutes: relative demo timestamps then look like real scan times.
    now = now or datetime.now(UTC).replace(second=0, microsecond=0)
    report = ImportReport()
    if orders is not None:
        _import_orders(session, orders, now, progress, report)
    if shipments is not None:
        _import_shipments(session, shipments, now, progress, report)
    if events is not None:
        _import_events(session, events, now, replace_events, progress, report)
    return report


def _read(
    path: Path, kind: str, columns: dict[str, bool], report: ImportReport
) -> tuple[FileReport, list[_Row]]:
    """The file's non-blank rows, or none (with a file error) if it cannot be used."""
    file_report = FileReport(kind, str(path))
    report.files.append(file_report)
    try:
        # utf-8-sig: spreadsheets often save a byte-order mark that would corrupt the first name.
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            reader.fieldnames = header
            missing = [name for name, needed in columns.items() if needed and name not in header]
            if missing:
                report.errors.append(
                    RowError(str(path), 1, None, f"missing column(s): {', '.join(missing)}")
                )
                return file_report, []
            file_report.ignored_columns = tuple(name for name in header if name not in columns)
            rows = []
            for values in reader:
                cleaned = {key: value or "" for key, value in values.items() if key is not None}
                if any(value.strip() for value in cleaned.values()):
                    rows.append(_Row(str(path), reader.line_num, cleaned))
            return file_report, rows
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        report.errors.append(RowError(str(path), None, None, f"cannot read the file: {error}"))
        return file_report, []


def _progress(rows: list[_Row], description: str, enabled: bool) -> Iterable[_Row]:
    return tqdm(rows, desc=description, unit="row", disable=not enabled, leave=False)


def _reject(row: _Row, file_report: FileReport, report: ImportReport) -> None:
    file_report.failed += 1
    report.errors.extend(row.errors)


def _parse_order(row: _Row, now: datetime) -> _OrderFields:
    return _OrderFields(
        code=row.cell("code", lambda v: canonical.order_code(cells.required(v, 40))),
        customer_name=row.cell("customer_name", lambda v: cells.required(v, 200)),
        customer_email=row.cell("customer_email", cells.email),
        status=row.cell("status", lambda v: cells.status(v, OrderStatus)),
        placed_at=row.cell("placed_at", lambda v: cells.timestamp(v, now)),
        total_amount=row.cell("total_amount", cells.amount),
        currency=row.cell("currency", cells.currency),
        items_summary=row.cell("items_summary", lambda v: cells.optional(v, 500) or ""),
    )


def _import_orders(
    session: Session, path: Path, now: datetime, progress: bool, report: ImportReport
) -> None:
    file_report, rows = _read(path, "orders", ORDER_COLUMNS, report)
    parsed: list[_OrderFields] = []
    for row in _progress(rows, f"orders {path.name}", progress):
        fields = _parse_order(row, now)
        if row.errors:
            _reject(row, file_report, report)
        else:
            parsed.append(fields)

    existing = _orders_by_code(session, (fields.code for fields in parsed))
    for fields in parsed:
        order = existing.get(fields.code)
        if order is None:
            order = existing[fields.code] = Order(code=fields.code)
            session.add(order)
            file_report.created += 1
        else:
            file_report.updated += 1
        order.customer_name = fields.customer_name
        order.customer_email = fields.customer_email
        order.status = fields.status
        order.placed_at = fields.placed_at
        order.total_amount = fields.total_amount
        order.currency = fields.currency
        order.items_summary = fields.items_summary
    session.flush()


def _tracking_number(value: str) -> canonical.TrackingNumber:
    checked = canonical.tracking_number(cells.required(value, 64))
    if checked.problem:
        raise CellError(checked.problem)
    if len(checked.number) > 64:
        raise CellError(f"is {len(checked.number)} characters long (at most 64)")
    return checked


def _parse_shipment(row: _Row, now: datetime) -> _ShipmentFields:
    checked = row.cell("tracking_number", _tracking_number)
    courier_code = row.cell("courier_code", lambda v: cells.optional(v, 32))
    courier_name = row.cell("courier_name", lambda v: cells.optional(v, 100))
    if checked is not None and courier_code is None:
        courier_code = checked.courier_code
        if courier_code is None:
            row.fail("courier_code", "is empty and the tracking number's courier is unknown")
    if checked is not None and courier_name is None:
        same_courier = courier_code is not None and courier_code == checked.courier_code
        courier_name = checked.courier_name if same_courier else None
        if courier_name is None:
            row.fail("courier_name", "is empty and the tracking number's courier is unknown")
    return _ShipmentFields(
        tracking_number=checked.number if checked is not None else "",
        courier_code=(courier_code or "").lower(),
        courier_name=courier_name or "",
        status=row.cell("status", lambda v: cells.status(v, ShipmentStatus)),
        estimated_delivery=row.cell("estimated_delivery", lambda v: cells.optional_date(v, now)),
        delivered_at=row.cell("delivered_at", lambda v: cells.optional_timestamp(v, now)),
        order_code=row.cell("order_code", _optional_order_code),
    )


def _optional_order_code(value: str) -> str | None:
    text = cells.optional(value, 40)
    return canonical.order_code(text) if text else None


def _import_shipments(
    session: Session, path: Path, now: datetime, progress: bool, report: ImportReport
) -> None:
    file_report, rows = _read(path, "shipments", SHIPMENT_COLUMNS, report)
    parsed: list[tuple[_Row, _ShipmentFields]] = []
    for row in _progress(rows, f"shipments {path.name}", progress):
        fields = _parse_shipment(row, now)
        if row.errors:
            _reject(row, file_report, report)
        else:
            parsed.append((row, fields))

    orders = _orders_by_code(session, (f.order_code for _, f in parsed if f.order_code))
    existing = _shipments_by_number(session, (f.tracking_number for _, f in parsed))
    for row, fields in parsed:
        order = orders.get(fields.order_code) if fields.order_code else None
        if fields.order_code and order is None:
            row.fail("order_code", f"no order with code {fields.order_code!r} in the store")
            _reject(row, file_report, report)
            continue
        shipment = existing.get(fields.tracking_number)
        if shipment is None:
            shipment = existing[fields.tracking_number] = Shipment(
                tracking_number=fields.tracking_number
            )
            session.add(shipment)
            file_report.created += 1
        else:
            file_report.updated += 1
        shipment.courier_code = fields.courier_code
        shipment.courier_name = fields.courier_name
        shipment.status = fields.status
        shipment.estimated_delivery = fields.estimated_delivery
        shipment.delivered_at = fields.delivered_at
        shipment.order = order
    session.flush()


def _parse_event(row: _Row, now: datetime) -> _EventFields:
    checked = row.cell("tracking_number", _tracking_number)
    return _EventFields(
        tracking_number=checked.number if checked is not None else "",
        occurred_at=row.cell("occurred_at", lambda v: cells.timestamp(v, now)),
        location=row.cell("location", lambda v: cells.required(v, 200)),
        description=row.cell("description", lambda v: cells.required(v, 300)),
        status=row.cell("status", lambda v: cells.status(v, ShipmentStatus)),
    )


def _import_events(
    session: Session,
    path: Path,
    now: datetime,
    replace: bool,
    progress: bool,
    report: ImportReport,
) -> None:
    file_report, rows = _read(path, "events", EVENT_COLUMNS, report)
    parsed: list[tuple[_Row, _EventFields]] = []
    for row in _progress(rows, f"events {path.name}", progress):
        fields = _parse_event(row, now)
        if row.errors:
            _reject(row, file_report, report)
        else:
            parsed.append((row, fields))

    shipments = _shipments_by_number(session, (f.tracking_number for _, f in parsed))
    known = [(row, f) for row, f in parsed if f.tracking_number in shipments]
    for row, fields in parsed:
        if fields.tracking_number not in shipments:
            row.fail(
                "tracking_number",
                f"no shipment with tracking number {fields.tracking_number!r} in the store "
                "(import it with --shipments first)",
            )
            _reject(row, file_report, report)

    shipment_ids = sorted({shipments[f.tracking_number].id for _, f in known})
    if replace:
        for chunk in _chunks(shipment_ids):
            session.execute(
                delete(ShipmentEvent).where(ShipmentEvent.shipment_id.in_(chunk)),
                execution_options={"synchronize_session": False},
            )
        for shipment in shipments.values():
            session.expire(shipment, ["events"])
    existing: dict[tuple[int, datetime, str], ShipmentEvent] = {}
    for chunk in _chunks(shipment_ids):
        query = select(ShipmentEvent).where(ShipmentEvent.shipment_id.in_(chunk))
        for stored in session.scalars(query):
            existing[(stored.shipment_id, stored.occurred_at, stored.description)] = stored

    for _, fields in known:
        shipment = shipments[fields.tracking_number]
        key = (shipment.id, fields.occurred_at, fields.description)
        event = existing.get(key)
        if event is None:
            event = existing[key] = ShipmentEvent(
                shipment=shipment, occurred_at=fields.occurred_at, description=fields.description
            )
            session.add(event)
            file_report.created += 1
        else:
            file_report.updated += 1
        event.location = fields.location
        event.status = fields.status
    session.flush()


def _chunks(keys: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start : start + _CHUNK]


def _orders_by_code(session: Session, codes: Iterable[str]) -> dict[str, Order]:
    found: dict[str, Order] = {}
    for chunk in _chunks(sorted(set(codes))):
        for order in session.scalars(select(Order).where(Order.code.in_(chunk))):
            found[order.code] = order
    return found


def _shipments_by_number(session: Session, numbers: Iterable[str]) -> dict[str, Shipment]:
    found: dict[str, Shipment] = {}
    for chunk in _chunks(sorted(set(numbers))):
        query = select(Shipment).where(Shipment.tracking_number.in_(chunk))
        for shipment in session.scalars(query):
            found[shipment.tracking_number] = shipment
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """The CLI: import, commit the good rows, print problems and a summary; the exit code."""
    # Imported here so `--help` works without a database driver configured.
    from store.db import prepare_database, session_factory

    parser = argparse.ArgumentParser(
        prog="python -m store.importer",
        description="Import orders, shipments and tracking events from CSV files (upsert).",
    )
    parser.add_argument("--orders", type=Path, help="orders CSV file")
    parser.add_argument("--shipments", type=Path, help="shipments CSV file")
    parser.add_argument("--events", type=Path, help="shipment events CSV file")
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: settings.database_url)")
    parser.add_argument(
        "--replace-events",
        action="store_true",
        help="replace the stored history of each shipment in the events file",
    )
    args = parser.parse_args(argv)
    if args.orders is None and args.shipments is None and args.events is None:
        parser.error("give at least one of --orders, --shipments, --events")

    engine = prepare_database(args.database_url, load_demo=False)
    try:
        with session_factory(engine).begin() as session:
            report = import_csv_files(
                session,
                orders=args.orders,
                shipments=args.shipments,
                events=args.events,
                replace_events=args.replace_events,
                progress=sys.stderr.isatty(),
            )
    finally:
        engine.dispose()
    for error in report.errors:
        print(error, file=sys.stderr)
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
