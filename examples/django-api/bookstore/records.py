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

    def read_before(self, before: int, want: int) -> "Before":
        """The last ``want`` records with ids below ``before``, read with bounded work whatever ``before`` is.

        koko reads forward only, so this reads windows of ids downwards from ``before``: the first of ``want`` ids
        (ids are dense, so one call answers an unfiltered list), then windows of ``MAX_PAGE`` ids while a sparse
        search or filter found fewer than ``want`` records — each window one koko call of at most ``MAX_PAGE``
        records, at most ``READ_BEFORE_CALLS`` of them. ``Before.low``: the records at or below it were not read
        (0: the start was reached). When the first call finds no record at all above its window's bottom, ``before``
        is past the end of the list (``past_the_end``): one call, as for any page."""
        found: list = []
        top = before  # the window's ids are below top, above low
        size = min(want, MAX_PAGE)
        for call in range(READ_BEFORE_CALLS):
            low = max(0, top - 1 - size)
            if top <= 1:
                return Before(found, 0)
            chunk = self.fetch(low or None, top - 1 - low)
            if call == 0 and not chunk and low > 0:
                return Before([], low, past_the_end=True)
            found = [record for record in chunk if record.id < top] + found
            if len(found) >= want or low == 0:
                return Before(found[-want:], low)
            top, size = low + 1, MAX_PAGE
        return Before(found, low)


READ_BEFORE_CALLS = 4  # koko calls a previous page may make (each of at most MAX_PAGE records)


@dataclass(frozen=True)
class Before:
    """What ``Keyset.read_before`` read: ``records`` (id order), ``low`` (nothing at or below it was read; 0: the
    list's start was reached) and ``past_the_end`` (no record of the list from the first window on)."""

    records: list
    low: int
    past_the_end: bool = False
