"""koko's lists as the list views' querysets: a koko call not made yet, so that the view's filter backends can add
its arguments (``where``) and the paginator can read one page of it.

- ``Records``: a list koko answers whole, small by nature (a book's copies and holds queue, a customer's holds and
  notices, plan versions, revenue lines, aged balances): ``call(**arguments)``.
- ``Keyset``: a list koko pages itself by id (books, customers, rentals, and their searches and filters):
  ``call(after=…, limit=…, **arguments)`` gives at most ``limit`` records with ids above ``after`` (None: from the
  start), in id order; a page costs one koko call whatever its position. ``searched`` is the koko call once an
  argument is given (``search_books`` rather than ``books``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping, Optional

from .limits import MAX_PAGE


@dataclass(frozen=True)
class Records:
    call: Callable[..., Iterable]
    arguments: Mapping[str, Any] = field(default_factory=dict)

    def where(self, **arguments) -> "Records":
        """The same list with more of koko's arguments; a ``None`` is an argument not given."""
        given = {name: value for name, value in arguments.items() if value is not None}
        return replace(self, arguments={**self.arguments, **given})

    def read(self) -> list:
        """Every record, in koko's order."""
        return list(self.call(**self.arguments))


@dataclass(frozen=True)
class Keyset(Records):
    searched: Optional[Callable[..., list]] = None

    def fetch(self, after: Optional[int], limit: int) -> list:
        call = self.searched if self.arguments and self.searched is not None else self.call
        return call(after=after, limit=limit, **self.arguments)

    def read(self) -> list:
        """Every record, in pages of ``MAX_PAGE``."""
        records: list = []
        after = None
        while True:
            page = self.fetch(after, MAX_PAGE)
            records += page
            if len(page) < MAX_PAGE:
                return records
            after = page[-1].id

    def read_before(self, before: int, want: int) -> list:
        """The last ``want`` records with ids below ``before`` (fewer at the start). koko reads forward only: from
        ``before - 1 - want`` (ids are dense, so one call for the unfiltered lists), widening the window fourfold
        while it holds fewer than ``want`` records (a sparse search or filter)."""
        window = want
        while True:
            low = max(0, before - 1 - window)
            found: list = []
            after: Optional[int] = low or None
            while True:
                chunk = self.fetch(after, min(MAX_PAGE, max(window, want)))
                below = [record for record in chunk if record.id < before]
                found = (found + below)[-want:]
                if len(below) < len(chunk) or len(chunk) < min(MAX_PAGE, max(window, want)):
                    break
                after = chunk[-1].id
            if len(found) >= want or low == 0:
                return found
            window *= 4
