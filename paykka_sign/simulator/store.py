"""What the simulator remembers, in memory only: transactions, checkout sessions and Apple Pay
sessions, keyed as PayKKa keys them (``trans_id``, PayKKa's ``order_id``, ``session_id``).

Card numbers are kept masked (first six, last four); cryptograms and ``token_data`` are not
kept at all.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Store:
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    apple_pay_sessions: list[dict[str, Any]] = field(default_factory=list)
    yabandpay_orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{206194330000 + next(self._counter)}"

    def add_transaction(self, record: dict[str, Any]) -> bool:
        """False when the ``trans_id`` is known already."""
        with self.lock:
            if record["trans_id"] in self.transactions:
                return False
            self.transactions[record["trans_id"]] = record
            return True

    def find_transaction(
        self, *, trans_id: Any = None, order_id: Any = None, session_id: Any = None
    ) -> dict[str, Any] | None:
        with self.lock:
            for record in self.transactions.values():
                if trans_id is not None and record["trans_id"] == trans_id:
                    return dict(record)
                if order_id is not None and record["order_id"] == order_id:
                    return dict(record)
                if session_id is not None and record.get("session_id") == session_id:
                    return dict(record)
        return None

    def add_session(self, record: dict[str, Any]) -> None:
        with self.lock:
            self.sessions[record["session_id"]] = record

    def find_session(self, session_id: Any) -> dict[str, Any] | None:
        with self.lock:
            found = self.sessions.get(session_id) if isinstance(session_id, str) else None
            return dict(found) if found is not None else None
