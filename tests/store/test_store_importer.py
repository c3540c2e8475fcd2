"""CSV import: good rows are upserted, bad rows are reported with file, line and column."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store import canonical
from store.importer import ImportReport, RowError, import_csv_files, main
from store.lookup import find_order, find_shipment
from store.models import Order, OrderStatus, ShipmentEvent, ShipmentStatus

NOW = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)

ORDERS = """\
code,customer_name,customer_email,status,placed_at,total_amount,currency,items_summary
ord-aa11bb,Ada Lovelace,ada@example.com,paid,2025-03-10T09:30:00+01:00,19.90,eur,Notebook (1)
ORD-CC22DD,Bad Status,,shiped,2025-03-10T09:30:00Z,10.00,EUR,Pen (1)
ORD-EE33FF,Bad Date,,paid,yesterday,10.00,EUR,Pen (1)
ORD-GG44HH,Charles Babbage,,shipped,now-2d,1200,USD,Difference engine (1)
"""
SHIPMENTS = """\
tracking_number,courier_code,courier_name,status,estimated_delivery,delivered_at,order_code
1z879e930346834440,ups,UPS,in_transit,today+1d,,ORD-GG44HH
986578788855,fedex,FedEx,in_transit,2025-03-14,,ORD-NOPE01
3318810025,,,in_transit,,,
"""
EVENTS = """\
tracking_number,occurred_at,location,description,status
1Z879E930346834440,now-1d,"Secaucus, NJ, US",Pickup scan,in_transit
1Z879E930346834440,2025-03-12T02:00:00,"Parsippany, NJ, US",Departed from facility,in_transit
1Z879E930346834440,now-2h,"Pittsburgh, PA, US",Arrived at facility,in_transit
9400111206206406260787,now-1h,"Columbus, OH",Out for delivery,out_for_delivery
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "orders": write(tmp_path, "orders.csv", ORDERS),
        "shipments": write(tmp_path, "shipments.csv", SHIPMENTS),
        "events": write(tmp_path, "events.csv", EVENTS),
    }


def import_all(session: Session, files: dict[str, Path]) -> ImportReport:
    return import_csv_files(
        session,
        orders=files["orders"],
        shipments=files["shipments"],
        events=files["events"],
        now=NOW,
    )


@pytest.fixture(autouse=True)
def without_codes_package(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests pin the store's own behaviour; the codes package is faked where it matters.
    monkeypatch.setattr(canonical, "_checker", lambda: None)


def problems(errors: list[RowError]) -> set[tuple[str, int | None, str | None]]:
    return {(Path(e.file).name, e.line, e.column) for e in errors}


def test_bad_rows_are_reported_with_line_and_column_and_good_rows_imported(
    session: Session, files: dict[str, Path]
) -> None:
    report = import_all(session, files)

    assert problems(report.errors) == {
        ("orders.csv", 3, "status"),
        ("orders.csv", 4, "placed_at"),
        ("shipments.csv", 3, "order_code"),
        ("shipments.csv", 4, "courier_code"),
        ("shipments.csv", 4, "courier_name"),
        ("events.csv", 3, "occurred_at"),
        ("events.csv", 5, "tracking_number"),
    }
    messages = {(Path(e.file).name, e.line, e.column): e.message for e in report.errors}
    assert messages[("orders.csv", 3, "status")].startswith("unknown status 'shiped'")
    assert "no time zone" in messages[("events.csv", 3, "occurred_at")]
    assert "ORD-NOPE01" in messages[("shipments.csv", 3, "order_code")]
    assert [(f.kind, f.created, f.failed) for f in report.files] == [
        ("orders", 2, 2),
        ("shipments", 1, 2),
        ("events", 2, 2),
    ]
    assert not report.ok

    ada = find_order(session, "ORD-AA11BB")
    assert ada is not None
    assert ada.status is OrderStatus.PAID and ada.currency == "EUR"
    assert ada.placed_at == datetime(2025, 3, 10, 8, 30, tzinfo=UTC)
    shipment = find_shipment(session, "1Z879E930346834440")
    assert shipment is not None
    assert shipment.order_code == "ORD-GG44HH"
    assert shipment.estimated_delivery == date(2025, 3, 13)
    assert shipment.last_event is not None
    assert shipment.last_event.occurred_at == datetime(2025, 3, 12, 8, 0, tzinfo=UTC)


def test_an_error_reads_like_a_compiler_message(session: Session, files: dict[str, Path]) -> None:
    report = import_csv_files(session, orders=files["orders"], now=NOW)

    assert str(report.errors[0]) == (
        f"{files['orders']}:3: column 'status': unknown status 'shiped' (expected one of: "
        "placed, paid, packed, shipped, delivered, cancelled, returned)"
    )


def test_every_bad_cell_of_a_row_is_reported(session: Session, tmp_path: Path) -> None:
    orders = write(
        tmp_path,
        "orders.csv",
        "code,customer_name,customer_email,status,placed_at,total_amount,currency\n"
        ",Nobody,not-an-email,paid,now,-3,euro\n",
    )

    report = import_csv_files(session, orders=orders, now=NOW)

    assert {e.column for e in report.errors} == {
        "code",
        "customer_email",
        "total_amount",
        "currency",
    }


def test_importing_again_updates_instead_of_duplicating(
    session: Session, files: dict[str, Path]
) -> None:
    import_all(session, files)
    write(files["orders"].parent, "orders.csv", ORDERS.replace(",paid,2025", ",cancelled,2025"))

    report = import_all(session, files)

    assert [(f.kind, f.created, f.updated) for f in report.files] == [
        ("orders", 0, 2),
        ("shipments", 0, 1),
        ("events", 0, 2),
    ]
    assert session.scalar(select(func.count()).select_from(Order)) == 2
    assert session.scalar(select(func.count()).select_from(ShipmentEvent)) == 2
    ada = find_order(session, "ORD-AA11BB")
    assert ada is not None and ada.status is OrderStatus.CANCELLED


def test_replacing_events_drops_the_old_history(session: Session, files: dict[str, Path]) -> None:
    import_all(session, files)
    later = datetime(2025, 3, 13, 10, 0, tzinfo=UTC)

    import_csv_files(session, events=files["events"], now=later, replace_events=True)

    events = session.scalars(select(ShipmentEvent).order_by(ShipmentEvent.occurred_at)).all()
    assert [e.occurred_at for e in events] == [
        datetime(2025, 3, 12, 10, 0, tzinfo=UTC),
        datetime(2025, 3, 13, 8, 0, tzinfo=UTC),
    ]


def test_a_file_without_a_required_column_is_rejected_whole(
    session: Session, tmp_path: Path
) -> None:
    orders = write(tmp_path, "orders.csv", "code,customer_name\nORD-AA11BB,Ada\n")

    report = import_csv_files(session, orders=orders, now=NOW)

    (error,) = report.errors
    assert error.line == 1
    assert "missing column(s): status, placed_at, total_amount, currency" in error.message
    assert session.scalar(select(func.count()).select_from(Order)) == 0


def test_a_missing_file_is_reported(session: Session, tmp_path: Path) -> None:
    report = import_csv_files(session, orders=tmp_path / "nope.csv", now=NOW)

    (error,) = report.errors
    assert error.line is None and "cannot read the file" in error.message


def test_extra_columns_are_ignored_and_mentioned(session: Session, tmp_path: Path) -> None:
    orders = write(
        tmp_path,
        "orders.csv",
        "\ufeffcode,customer_name,status,placed_at,total_amount,currency,notes\n"
        "ORD-AA11BB,Ada,paid,now,1.00,EUR,call first\n\n",
    )

    report = import_csv_files(session, orders=orders, now=NOW)

    assert report.ok
    assert report.files[0].ignored_columns == ("notes",)
    assert "ignored columns: notes" in report.summary()


@dataclass(frozen=True)
class FakeCheck:
    kind: str
    valid: bool
    normalized: str
    courier_code: str | None
    courier_name: str | None


def test_courier_comes_from_the_codes_package_when_the_file_leaves_it_empty(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def check_code(text: str) -> FakeCheck:
        number = canonical.basic_form(text)
        valid = number != "3318810026"
        return FakeCheck("tracking_number", valid, number, "dhl", "DHL")

    monkeypatch.setattr(canonical, "_checker", lambda: check_code)
    shipments = write(
        tmp_path,
        "shipments.csv",
        "tracking_number,status\n3318 810 025,in_transit\n3318810026,in_transit\n",
    )

    report = import_csv_files(session, shipments=shipments, now=NOW)

    (error,) = report.errors
    assert (error.line, error.column) == (3, "tracking_number")
    assert "check digit" in error.message
    shipment = find_shipment(session, "3318810025")
    assert shipment is not None
    assert (shipment.courier_code, shipment.courier_name) == ("dhl", "DHL")
    assert shipment.status is ShipmentStatus.IN_TRANSIT


def run_cli(*args: str, repo_root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    return subprocess.run(
        [sys.executable, "-m", "store.importer", *args],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_imports_good_rows_reports_bad_ones_and_exits_1(
    tmp_path: Path, files: dict[str, Path], repo_root: Path
) -> None:
    # A real process, once (on SQLite): the in-process tests below cover both databases.
    database_url = f"sqlite:///{tmp_path / 'store.db'}"

    result = run_cli(
        "--orders",
        str(files["orders"]),
        "--shipments",
        str(files["shipments"]),
        "--database-url",
        database_url,
        repo_root=repo_root,
    )

    assert result.returncode == 1, result.stderr
    assert f"{files['orders']}:3: column 'status': unknown status 'shiped'" in result.stderr
    assert f"{files['shipments']}:3: column 'order_code': no order" in result.stderr
    assert "orders" in result.stdout and "2 created" in result.stdout
    assert "problem(s)" in result.stdout


def test_cli_reports_problems_on_stderr_and_a_summary_on_stdout(
    database_url: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code = main([*("--orders", str(files["orders"])), "--database-url", database_url])

    output = capsys.readouterr()
    assert exit_code == 1
    assert output.err.splitlines() == [
        f"{files['orders']}:3: column 'status': unknown status 'shiped' (expected one of: "
        "placed, paid, packed, shipped, delivered, cancelled, returned)",
        f"{files['orders']}:4: column 'placed_at': 'yesterday' is not a date and time "
        "(write 2025-03-04T14:30:00+01:00 or now-2d-3h)",
    ]
    assert output.out.splitlines() == [
        f"orders    {files['orders']}: 2 created, 0 updated, 2 failed",
        "2 problem(s), see above",
    ]


def test_cli_exits_0_when_every_row_is_imported(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = write(tmp_path, "orders.csv", "".join(ORDERS.splitlines(keepends=True)[:2]))

    assert main(["--orders", str(orders), "--database-url", database_url]) == 0

    assert "all rows imported" in capsys.readouterr().out


def test_cli_needs_at_least_one_file(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])

    assert exit_info.value.code == 2
    assert "at least one of --orders, --shipments, --events" in capsys.readouterr().err
