"""The demo data set: about twenty orders and their shipments, always looking recent.

The CSV files in `store/demo_data/` (listed in its README) are loaded with the ordinary CSV
importer. Their dates are relative (`now-2d-3h`, `today+1d`), resolved against the moment of
loading, so "when will it arrive?" has a sensible answer whenever the demo is loaded.

    python -m store.demo [--database-url URL]   # load or refresh (re-anchor dates to now)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from store.importer import ImportReport, import_csv_files

DEMO_DIR = Path(__file__).resolve().parent / "demo_data"
ORDERS_CSV = DEMO_DIR / "orders.csv"
SHIPMENTS_CSV = DEMO_DIR / "shipments.csv"
EVENTS_CSV = DEMO_DIR / "shipment_events.csv"


class DemoDataError(RuntimeError):
    """The shipped demo files do not import cleanly (a bug in the files, not in the caller)."""


def load_demo_data(session: Session, now: datetime | None = None) -> ImportReport:
    """Upsert the demo data set into the session (flushed, not committed); dates relative to `now`.

    Loading again refreshes it: same records, dates re-anchored, no duplicates.
    """
    report = import_csv_files(
        session,
        orders=ORDERS_CSV,
        shipments=SHIPMENTS_CSV,
        events=EVENTS_CSV,
        now=now,
        replace_events=True,  # each load moves the timestamps, so old events would not match
    )
    if not report.ok:
        raise DemoDataError("\n".join(str(error) for error in report.errors))
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """The CLI: migrate the database, then load (or refresh) the demo data set."""
    from store.db import prepare_database, session_factory

    parser = argparse.ArgumentParser(
        prog="python -m store.demo", description="Load or refresh the demo orders and shipments."
    )
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: settings.database_url)")
    args = parser.parse_args(argv)
    engine = prepare_database(args.database_url, load_demo=False)
    try:
        with session_factory(engine).begin() as session:
            report = load_demo_data(session)
    finally:
        engine.dispose()
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
