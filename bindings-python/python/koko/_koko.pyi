"""Type stubs of the native module ``koko._koko`` (re-exported by ``koko``)."""

from datetime import datetime
from decimal import Decimal
from os import PathLike
from typing import Any, Dict, Generic, Iterable, Iterator, List, Literal, Optional, Sequence, TypeVar, Union

from ._errors import KokoError

__version__: str

_Money = Union[Decimal, int, str]
"""An amount of money as the store takes it: a finite ``Decimal``, an ``int`` or a ``str`` like ``"1.50"`` (never a
``float``)."""

class QuoteLine:
    """One line of a quote: the rule behind it and its amount."""

    @property
    def description(self) -> str:
        """The rule, e.g. ``"days 1–2 at 1.00"`` or ``"minimum charge adjustment"``."""
    @property
    def amount(self) -> Decimal:
        """The amount, at the currency's minor-unit scale."""

class Quote:
    """The price of a rental: billable days, the total and the lines that sum to it."""

    @property
    def days(self) -> int:
        """Billable days (at least 1)."""
    @property
    def total(self) -> Decimal:
        """The total, at the currency's minor-unit scale (``Decimal('4.50')``)."""
    @property
    def currency(self) -> str:
        """The ISO 4217 currency code."""
    @property
    def lines(self) -> List[QuoteLine]:
        """The itemised lines; their amounts sum exactly to ``total``."""

class PricePlan:
    """A validated price plan: currency, day-count policy, rounding and one tariff per category."""

    @staticmethod
    def story1() -> PricePlan:
        """Story 1: every book 1.00 a day."""
    @staticmethod
    def story2() -> PricePlan:
        """Story 2: regular 1.50, fiction 3.00, novel 1.50 a day."""
    @staticmethod
    def story3() -> PricePlan:
        """Story 3: regular 1.00 a day for days 1–2 then 1.50, minimum 2.00; fiction 3.00; novel 1.50, minimum 4.50."""
    @staticmethod
    def preset(name: str) -> PricePlan:
        """A preset by name: ``"story1"``, ``"story2"`` or ``"story3"``."""
    @staticmethod
    def from_json(document: str) -> PricePlan:
        """Parses and validates a JSON plan document; raises ``InvalidPlan`` naming the field."""
    @staticmethod
    def from_toml(document: str) -> PricePlan:
        """Parses and validates a TOML plan document; raises ``InvalidPlan`` naming the field."""
    def to_json(self) -> str:
        """The plan as a JSON document."""
    def to_toml(self) -> str:
        """The plan as a TOML document."""
    @property
    def name(self) -> Optional[str]:
        """The plan's label, if any."""
    @property
    def currency(self) -> str:
        """The ISO 4217 currency code."""
    @property
    def categories(self) -> List[str]:
        """The categories the plan names."""
    def quote(
        self, category: str, rented_at: datetime, returned_at: datetime, *, due_at: Optional[datetime] = None
    ) -> Quote:
        """Prices a rental from ``rented_at`` to ``returned_at`` (aware datetimes). ``due_at`` (aware) prices it with
        that due date, as given (a renewed rental's); ``None`` uses the due date the plan computes. A due date
        before ``rented_at`` raises ``InvalidInput`` on ``due_at``."""
        ...
    def due_at(self, category: str, rented_at: datetime) -> Optional[datetime]:
        """When a rental opened at ``rented_at`` is due back (aware, UTC), moved off the plan calendar's closed
        days; ``None`` when the tariff has no loan period. Microsecond precision (a ``calendar_days`` due time,
        the end of the day, reads ``23:59:59.999999`` local)."""
        ...
    def quote_days(self, category: str, days: int) -> Quote:
        """Prices ``days`` billable days of ``category`` (0 is billed as 1)."""
    def quote_many(self, categories: Union[str, Sequence[str]], days: Sequence[int]) -> List[Decimal]:
        """The totals of many rentals in one call: ``categories`` is one category for all, or one per rental;
        ``days`` has one day count per rental."""
    def price_curve(self, category: str, max_days: int) -> List[Decimal]:
        """The total for returning after each of days 1..``max_days``."""

class Book:
    """A title in the catalogue."""

    @property
    def id(self) -> int:
        """The book's id."""
    @property
    def title(self) -> str:
        """The title."""
    @property
    def author(self) -> str:
        """The author."""
    @property
    def isbn(self) -> Optional[str]:
        """The ISBN (digits only), if any."""
    @property
    def category(self) -> str:
        """The pricing category."""

class Copy:
    """One physical copy of a book."""

    @property
    def id(self) -> int:
        """The copy's id."""
    @property
    def book_id(self) -> int:
        """The book it is a copy of."""
    @property
    def status(self) -> Literal["available", "rented", "withdrawn", "on_hold", "lost"]:
        """``"on_hold"``: set aside for a ready hold (only that customer can rent it); ``"lost"``: declared lost."""
        ...
    @property
    def rental_id(self) -> Optional[int]:
        """The open rental holding it, when rented; the rental it was lost under, when lost."""
        ...

class Customer:
    """A registered customer."""

    @property
    def id(self) -> int:
        """The customer's id."""
    @property
    def first_name(self) -> str:
        """First name."""
    @property
    def last_name(self) -> str:
        """Last name."""
    @property
    def email(self) -> Optional[str]:
        """E-mail address, if any."""
    @property
    def active(self) -> bool:
        """Whether the customer may rent."""

class Rental:
    """A rental: open (``status == "active"``) or closed with its charge (``"closed"``, or ``"lost"`` when the copy
    was declared lost)."""

    @property
    def id(self) -> int:
        """The rental's id."""
    @property
    def copy_id(self) -> int:
        """The copy lent."""
    @property
    def book_id(self) -> int:
        """The book of that copy."""
    @property
    def customer_id(self) -> int:
        """The customer."""
    @property
    def category(self) -> str:
        """The category it is charged under."""
    @property
    def rented_at(self) -> datetime:
        """When it was lent (UTC)."""
    @property
    def due_at(self) -> Optional[datetime]:
        """When it is due, if the plan sets a loan period."""
    @property
    def returned_at(self) -> Optional[datetime]:
        """When it came back; ``None`` while open."""
    @property
    def plan_version(self) -> int:
        """The price plan version it is charged under."""
    @property
    def charge(self) -> Optional[Quote]:
        """The stored charge, once closed."""
    @property
    def status(self) -> Literal["active", "closed", "lost"]:
        """``"active"``, ``"closed"`` or ``"lost"`` (closed by declaring the copy lost)."""
    @property
    def renewals(self) -> List[datetime]:
        """When the rental was renewed, oldest first (each renewal moved ``due_at``)."""
        ...
    @property
    def lost(self) -> bool:
        """Whether it was closed by declaring the copy lost (``returned_at`` is then when; the replacement fees are
        ledger ``fee`` entries)."""
        ...

class Receipt:
    """What a customer gets on return."""

    @property
    def rental(self) -> Rental:
        """The closed rental."""
    @property
    def title(self) -> str:
        """The book's title."""
    @property
    def charge(self) -> Quote:
        """The charge stored with the rental."""
    @property
    def balance(self) -> Decimal:
        """The customer's balance once the charge was posted (what they owe; negative: a credit)."""
        ...
    @property
    def text(self) -> str:
        """The receipt as printable text."""

class PlanVersion:
    """One version of the store's price plan."""

    @property
    def id(self) -> int:
        """The version's id."""
    @property
    def effective_from(self) -> datetime:
        """From when it prices new rentals (UTC)."""
    @property
    def plan(self) -> PricePlan:
        """The plan."""

class RevenueLine:
    """Revenue of one category in one currency over a period."""

    @property
    def currency(self) -> str:
        """The ISO 4217 currency code."""
    @property
    def category(self) -> str:
        """The category."""
    @property
    def rentals(self) -> int:
        """How many rentals were returned in the period."""
    @property
    def total(self) -> Decimal:
        """What they were charged."""

class LedgerEntry:
    """One line of a customer's ledger. Entries are never changed or deleted: a correction is a new entry."""

    @property
    def id(self) -> int:
        """The entry's id (store-wide, increasing in posting order)."""
        ...
    @property
    def customer_id(self) -> int:
        """Whose account."""
        ...
    @property
    def kind(self) -> Literal["charge", "fee", "payment", "waiver", "refund"]:
        """What it records: ``charge``, ``fee`` and ``refund`` add to the balance, ``payment`` and ``waiver``
        take from it."""
        ...
    @property
    def amount(self) -> Decimal:
        """How much, never negative, at the currency's scale (``Decimal('5.50')``)."""
        ...
    @property
    def currency(self) -> str:
        """The store's ISO 4217 currency code."""
        ...
    @property
    def at(self) -> datetime:
        """When it happened (aware, UTC; a rental's charge: when it was returned)."""
        ...
    @property
    def rental_id(self) -> Optional[int]:
        """The rental it belongs to, if any."""
        ...
    @property
    def note(self) -> Optional[str]:
        """A note, or the reason of a waiver, refund or fee."""
        ...
    @property
    def balance_after(self) -> Decimal:
        """The customer's balance once this entry was posted (positive: they owe)."""
        ...

class Block:
    """A manual block: staff stopped a customer from renting, with a reason, until a time or until unblocked."""

    @property
    def reason(self) -> str:
        """Why."""
        ...
    @property
    def since(self) -> datetime:
        """When it was set (aware, UTC)."""
        ...
    @property
    def until(self) -> Optional[datetime]:
        """When it ends by itself (aware, UTC), if ever."""
        ...

class Account:
    """A customer's account: the balance, the block if any, and every ledger entry in posting order."""

    @property
    def customer_id(self) -> int:
        """Whose account."""
        ...
    @property
    def balance(self) -> Decimal:
        """What the customer owes (negative: a credit)."""
        ...
    @property
    def currency(self) -> Optional[str]:
        """The store's ISO 4217 currency code (``None`` while the store has no price plan)."""
        ...
    @property
    def block(self) -> Optional[Block]:
        """A manual block, if set (it may have ended: see ``Block.until``)."""
        ...
    @property
    def entries(self) -> List[LedgerEntry]:
        """The ledger, in posting order."""
        ...

class Statement:
    """A customer's ledger over ``[start, end)``: the balance before, the entries dated in the period, the balance
    after."""

    @property
    def customer_id(self) -> int:
        """Whose account."""
        ...
    @property
    def start(self) -> datetime:
        """The period's first instant."""
        ...
    @property
    def end(self) -> datetime:
        """The instant after the period."""
        ...
    @property
    def opening_balance(self) -> Decimal:
        """The sum of every entry dated before ``start``."""
        ...
    @property
    def entries(self) -> List[LedgerEntry]:
        """The entries dated in the period, in posting order."""
        ...
    @property
    def closing_balance(self) -> Decimal:
        """``opening_balance`` plus the period's entries."""
        ...

class AgedBalance:
    """One customer's row of the aging report: what they owe, split by how long it has been owed (credits settle
    the oldest debits first)."""

    @property
    def customer_id(self) -> int:
        """Whose account."""
        ...
    @property
    def balance(self) -> Decimal:
        """The whole balance (the sum of the four buckets)."""
        ...
    @property
    def days_0_30(self) -> Decimal:
        """Owed for 0 to 30 days."""
        ...
    @property
    def days_31_60(self) -> Decimal:
        """Owed for 31 to 60 days."""
        ...
    @property
    def days_61_90(self) -> Decimal:
        """Owed for 61 to 90 days."""
        ...
    @property
    def days_over_90(self) -> Decimal:
        """Owed for more than 90 days."""
        ...

class Hold:
    """A customer's place in the queue for a book, and the copy set aside for them once one comes back.

    ``"waiting"`` until a copy comes back (returned, added, reinstated, found); then ``"ready"``: the copy is set
    aside (``"on_hold"``) until ``ready_until`` and only this customer can rent it, which fulfils the hold. A ready
    hold not picked up in time is ``"expired"`` by ``BookStore.expire_holds`` and the copy passes on."""

    @property
    def id(self) -> int:
        """The hold's id (placement order: first come, first served)."""
        ...
    @property
    def book_id(self) -> int:
        """The title asked for."""
        ...
    @property
    def customer_id(self) -> int:
        """Who asked."""
        ...
    @property
    def placed_at(self) -> datetime:
        """When it was placed (aware, UTC)."""
        ...
    @property
    def status(self) -> Literal["waiting", "ready", "fulfilled", "cancelled", "expired"]:
        """Where it stands."""
        ...
    @property
    def copy_id(self) -> Optional[int]:
        """The copy set aside for it (once ready; kept after it closes)."""
        ...
    @property
    def ready_until(self) -> Optional[datetime]:
        """Until when the set-aside copy waits for the customer (aware, UTC), once ready."""
        ...
    @property
    def closed_at(self) -> Optional[datetime]:
        """When it was fulfilled, cancelled or expired (aware, UTC)."""
        ...
    @property
    def rental_id(self) -> Optional[int]:
        """The rental that fulfilled it."""
        ...
    @property
    def position(self) -> Optional[int]:
        """Its place among the book's waiting holds (1: next to be served); ``None`` unless waiting."""
        ...

class Found:
    """A lost copy brought back by ``BookStore.mark_found``."""

    @property
    def copy(self) -> Copy:
        """The copy as it now stands: ``"on_hold"`` for the first waiting hold of its book, else ``"available"``."""
        ...
    @property
    def credit(self) -> Optional[LedgerEntry]:
        """The ``waiver`` entry crediting the replacement fee back (the plan's ``replacement.refund_when_found``),
        or ``None``."""
        ...

class Notice:
    """One notice a store should send (``BookStore.notices``): a rental due soon, an overdue rental at a reminder
    level, or a copy set aside for a hold."""

    @property
    def key(self) -> str:
        """Identifies the notice for ``BookStore.mark_notified``; the same notice always has the same key (a
        renewal's new due date makes new ones)."""
        ...
    @property
    def kind(self) -> Literal["due_soon", "overdue", "hold_ready"]:
        """What it is about."""
        ...
    @property
    def level(self) -> int:
        """The reminder level of an overdue notice (1: first, per the plan's ``notices.overdue_days``), 0 for the
        others."""
        ...
    @property
    def customer_id(self) -> int:
        """Whom to tell."""
        ...
    @property
    def book_id(self) -> int:
        """The book concerned."""
        ...
    @property
    def rental_id(self) -> Optional[int]:
        """The rental concerned (``due_soon``, ``overdue``)."""
        ...
    @property
    def hold_id(self) -> Optional[int]:
        """The hold concerned (``hold_ready``)."""
        ...
    @property
    def due_at(self) -> datetime:
        """When the rental is due, or until when the held copy waits (aware, UTC)."""
        ...
    @property
    def amount(self) -> Optional[Decimal]:
        """What the rental would be charged if returned at the notice's instant, late fees included (``None`` for
        a hold)."""
        ...
    @property
    def currency(self) -> Optional[str]:
        """The ISO 4217 currency code of ``amount``."""
        ...

class Event:
    """One event of a store's feed (``BookStore.events``): what changed, written in the same atomic step as the
    change. Receivers deduplicate on ``id``."""

    @property
    def position(self) -> int:
        """Where the event is in the feed: strictly increasing and gap-free in commit order, from 1."""
        ...
    @property
    def id(self) -> str:
        """The event's stable id: ``evt_`` and its position in 20 digits."""
        ...
    @property
    def type(self) -> str:
        """What happened: ``"rental.opened"``, ``"rental.closed"``, ``"ledger.posted"``, ``"hold.ready"``, …"""
        ...
    @property
    def at(self) -> datetime:
        """When it happened (timezone-aware, UTC)."""
        ...
    @property
    def subjects(self) -> Dict[str, int]:
        """The ids of what it concerns by kind of record, e.g. ``{"rental": 7, "copy": 3, "customer": 2}``."""
        ...
    @property
    def data(self) -> Dict[str, Any]:
        """The payload, a new ``dict`` on each read; ``data["v"]`` is its schema version and money is text
        (``"3.50"``), as in the JSON the store keeps."""
        ...
    @property
    def data_json(self) -> str:
        """The payload as JSON text, exactly as the store keeps it."""
        ...

_ExportKind = Literal["active-rentals", "overdue", "ledger", "books", "customers"]

class CsvChunks:
    """A CSV export as it is written (``BookStore.export_csv_chunks``, ``BookStore.export_active_rentals_csv_chunks``):
    iterate for ``bytes`` chunks, the header row first; ``rows`` counts the data rows written so far. ``close()`` (or
    dropping it) stops the export; ``BookStore.close()`` waits for an export in progress, so finish or close the
    iterator first."""

    def __iter__(self) -> CsvChunks: ...
    def __next__(self) -> bytes: ...
    @property
    def rows(self) -> int:
        """The data rows written so far (the header row not counted): exact once iteration has ended; while it runs,
        rows already written may still wait in chunks not yet read."""
        ...
    @property
    def kind(self) -> _ExportKind:
        """What is exported: ``active-rentals``, ``overdue``, ``ledger``, ``books`` or ``customers``."""
        ...
    def close(self) -> None:
        """Stops the export; later iteration ends at once."""
        ...

class CurrencyTotal:
    """A sum of money in one currency."""

    @property
    def currency(self) -> str:
        """The ISO 4217 currency code."""
    @property
    def total(self) -> Decimal:
        """The sum."""

class OutstandingCharges:
    """What every open rental would be charged if all came back at ``at``, summed by currency."""

    @property
    def at(self) -> datetime:
        """The instant the charges are computed for."""
    @property
    def rentals(self) -> int:
        """How many open rentals were priced."""
        ...
    @property
    def totals(self) -> List[CurrencyTotal]:
        """One sum per currency, sorted by currency code."""
        ...

_Record = TypeVar("_Record", Book, Customer, Rental)

class KeysetIterator(Iterator[_Record], Generic[_Record]):
    """Books, customers or rentals in id order, read lazily one keyset page at a time (``BookStore.iter_books``,
    ``iter_customers``, ``iter_rentals``): each page is the records after the last id handed out, so memory holds
    one page whatever the store's size. Records added during the walk appear if their ids are past the current
    page. Once the store is closed the next page read raises ``StoreClosed``; after raising or reaching the end the
    iterator stays exhausted."""

    def __iter__(self) -> KeysetIterator[_Record]: ...
    def __next__(self) -> _Record: ...
    @property
    def page_size(self) -> int:
        """How many records one read fetches (1 to 1,000)."""

class BookStore:
    """A book store. Safe to share between threads; storage work releases the GIL.

    Every write takes an optional ``idempotency_key``: the first call with a key has the effect and stores the key
    with it; a retry with the same key and the same request (a time left out counts as the same) answers the first
    result and changes nothing; the same key with another request raises ``Duplicate`` on ``idempotency_key``.
    """

    @staticmethod
    def open(
        path: Union[str, PathLike[str]],
        *,
        plan: Optional[PricePlan] = None,
        durability: Literal["commit", "interval"] = "commit",
        flush_interval_ms: int = 500,
    ) -> BookStore:
        """Opens (creating if needed) a store on the embedded sled database in directory ``path``.

        ``plan`` prices the store if it has no plan yet (story 3 by default). ``durability`` is ``"commit"``
        (every operation is on disk before it returns) or ``"interval"`` (flushed every ``flush_interval_ms``; a
        crash may lose the last interval). One process at a time: sled locks the directory."""
    @staticmethod
    def connect(
        url: str,
        *,
        plan: Optional[PricePlan] = None,
        pool_size: int = 8,
        replica: Optional[str] = None,
        max_replica_lag_ms: Optional[int] = None,
    ) -> BookStore:
        """Connects to a PostgreSQL database (``"postgresql://user:password@host:port/dbname"`` or ``"host=… user=…
        dbname=…"``), creating or migrating Koko's tables. Any number of processes may share it.

        ``plan`` prices the store if it has no plan yet (story 3 by default); ``pool_size`` caps the connections
        this handle keeps open. TLS is not used.

        ``replica`` names a read-only streaming replica of the database: listings and search read from it while it
        is up and at most ``max_replica_lag_ms`` behind (2,000 by default); writes, reads by id and backups go to
        the primary, and so does every read while the replica is down or behind."""
    def backup(self, path: Union[str, "PathLike[str]"]) -> dict[str, int]:
        """Writes a dump of the whole store to the file ``path``: a portable, versioned text file (one JSON record
        per line) with every record, its history and every plan version, which this or a newer Koko restores.
        Writes to the store wait while it runs (none is refused), so the dump is one consistent state. Returns the
        count of each kind of record written (``{"book": 3, "copy": 6, …}``)."""
    @staticmethod
    def restore(path: Union[str, "PathLike[str]"], location: str) -> BookStore:
        """Restores the dump in the file ``path`` into the store at ``location`` — a sled directory, ``"memory"``
        or ``"postgresql://…"`` — which must be empty, and returns that store, open. A truncated or damaged dump,
        a newer dump format, or a store that is not empty raise ``InvalidInput``."""
    def migrate_to(self, location: str) -> dict[str, int]:
        """Copies this whole store into the empty store at ``location`` (a sled directory, ``"memory"`` or
        ``"postgresql://…"``), keeping ids, history and plan versions, then dumps both and compares them record for
        record. Writes to this store wait while it runs. Returns the count of each kind of record copied."""
    @staticmethod
    def memory(*, plan: Optional[PricePlan] = None) -> BookStore:
        """A store in memory (nothing is kept), priced by ``plan`` (story 3 by default)."""
    def current_plan(self) -> PricePlan:
        """The price plan in force now."""
    def plan_versions(self) -> List[PlanVersion]:
        """Every plan version, oldest first."""
    def publish_plan(
        self, plan: PricePlan, effective_from: datetime, *, idempotency_key: Optional[str] = None
    ) -> PlanVersion:
        """Publishes ``plan`` for rentals opened from ``effective_from`` (aware datetime) on."""
    def add_book(
        self,
        *,
        title: str,
        author: str,
        category: str,
        isbn: Optional[str] = None,
        copies: Optional[int] = None,
        idempotency_key: Optional[str] = None,
    ) -> Book:
        """Adds a book with ``copies`` copies; raises ``Duplicate`` for a taken title or ISBN."""
    def update_book(
        self,
        book_id: int,
        *,
        title: Optional[str] = None,
        author: Optional[str] = None,
        category: Optional[str] = None,
        isbn: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Book:
        """Changes a book's fields; ``None`` leaves a field unchanged."""
    def book(self, book_id: int) -> Book:
        """One book; raises ``NotFound``."""
    def books(self, *, after: Optional[int] = None, limit: Optional[int] = None) -> List[Book]:
        """Books in id order: every book, or one keyset page — the books after id ``after``, at most ``limit``
        (1 to 1,000); a page costs the same at row 1,000,000 as at row 1."""
        ...
    def search_books(
        self,
        search: Optional[str] = None,
        *,
        category: Optional[str] = None,
        available: Optional[bool] = None,
        after: Optional[int] = None,
        limit: Optional[int] = None,
    ) -> List[Book]:
        """Books whose title, author or ISBN words start with each word of ``search`` (case and accents ignored;
        ``"978-0-441"`` is an ISBN prefix), of ``category`` exactly, with (``available=True``) or without a copy on
        the shelf — every part given must match — in id order, one keyset page (``limit`` 50 by default)."""
        ...
    def add_copies(self, book_id: int, count: int, *, idempotency_key: Optional[str] = None) -> List[Copy]:
        """Adds ``count`` copies of a book; they serve its waiting holds first (ready from now), then the shelf."""
        ...
    def copies(self, book_id: int) -> List[Copy]:
        """A book's copies."""
    def available_copies(self, book_id: int) -> int:
        """How many copies of a book are on the shelf."""
    def withdraw_copy(self, copy_id: int, *, idempotency_key: Optional[str] = None) -> Copy:
        """Takes an available copy out of circulation."""
    def reinstate_copy(self, copy_id: int, *, idempotency_key: Optional[str] = None) -> Copy:
        """Puts a withdrawn copy back: to the first waiting hold of its book (ready from now), or the shelf. A lost
        copy comes back with ``mark_found`` (``InvalidInput`` on ``copy`` here)."""
        ...
    def register_customer(
        self, *, first_name: str, last_name: str, email: Optional[str] = None, idempotency_key: Optional[str] = None
    ) -> Customer:
        """Registers an active customer. An e-mail address is one customer's (case ignored): a taken one raises
        ``Duplicate`` naming ``email``."""
    def update_customer(
        self,
        customer_id: int,
        *,
        first_name: Optional[str] = None,
        last_name: Optional[str] = None,
        email: Optional[str] = None,
        active: Optional[bool] = None,
        idempotency_key: Optional[str] = None,
    ) -> Customer:
        """Changes a customer's fields; ``None`` leaves a field unchanged."""
    def deactivate_customer(self, customer_id: int, *, idempotency_key: Optional[str] = None) -> Customer:
        """Deactivates a customer (they can still return what they have)."""
    def activate_customer(self, customer_id: int, *, idempotency_key: Optional[str] = None) -> Customer:
        """Reactivates a customer."""
    def customer(self, customer_id: int) -> Customer:
        """One customer; raises ``NotFound``."""
    def customers(self, *, after: Optional[int] = None, limit: Optional[int] = None) -> List[Customer]:
        """Customers in id order: every customer, or one keyset page (see ``books``)."""
        ...
    def search_customers(
        self, search: str, *, after: Optional[int] = None, limit: Optional[int] = None
    ) -> List[Customer]:
        """Customers whose names or email start with each word of ``search``, in id order, one keyset page
        (``limit`` 50 by default)."""
        ...
    def quote(
        self, category: str, rented_at: datetime, returned_at: datetime, *, due_at: Optional[datetime] = None
    ) -> Quote:
        """Prices a rental from ``rented_at`` to ``returned_at`` (aware datetimes). ``due_at`` (aware) prices it with
        that due date, as given (a renewed rental's); ``None`` uses the due date the plan computes. A due date
        before ``rented_at`` raises ``InvalidInput`` on ``due_at``."""
        ...
    def due_at(self, category: str, rented_at: datetime) -> Optional[datetime]:
        """When a rental opened at ``rented_at`` is due back (aware, UTC), moved off the plan calendar's closed
        days; ``None`` when the tariff has no loan period. Microsecond precision (a ``calendar_days`` due time,
        the end of the day, reads ``23:59:59.999999`` local)."""
        ...
    def quote_return(self, rental_id: int, at: Optional[datetime] = None) -> Quote:
        """What an open rental would cost if returned at ``at`` (now by default)."""
    def rent(
        self,
        *,
        customer_id: int,
        book_id: Optional[int] = None,
        copy_id: Optional[int] = None,
        at: Optional[datetime] = None,
        idempotency_key: Optional[str] = None,
    ) -> Rental:
        """Rents a book (any available copy) or one copy at ``at`` (now by default).

        Raises ``Unavailable``, ``InactiveCustomer``, ``Blocked`` (a plan limit or a manual block; ``rule`` names
        it) or ``NotFound``."""
        ...
    def return_rental(
        self,
        *,
        rental_id: int,
        at: Optional[datetime] = None,
        damage_fee: Optional[_Money] = None,
        note: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Receipt:
        """Returns a rental at ``at`` (now by default): charges it, posts the charge to the customer's account,
        closes it and frees the copy (to the first waiting hold of its book, or the shelf). With ``damage_fee`` and
        ``note`` (both or neither) a damage fee is posted as a ``fee`` entry in the same operation.
        ``Receipt.balance`` is the balance once the charge (and the damage fee) was posted. Raises
        ``InvalidInput`` on ``damage_fee`` (a float, zero, negative, too many decimals, or without a note) or
        ``note`` (missing or blank)."""
        ...
    def renew(
        self, *, rental_id: int, at: Optional[datetime] = None, idempotency_key: Optional[str] = None
    ) -> Rental:
        """Renews an open rental at ``at`` (now by default): its due date moves forward by the loan period, as
        its plan's tariff allows (``renewals``); late days then count from the new due date. Raises ``Blocked``
        (rule ``renewals.max``, ``holds.waiting`` — another customer waits for the book and no copy is on the
        shelf —, ``manual`` or ``limits.max_balance``), ``InvalidInput`` (no due date), ``AlreadyReturned`` or
        ``NotFound``."""
        ...
    def place_hold(
        self, *, customer_id: int, book_id: int, at: Optional[datetime] = None, idempotency_key: Optional[str] = None
    ) -> Hold:
        """Queues the customer for a book at ``at`` (now by default). A copy on the shelf is set aside at once (the
        hold is ``"ready"``); otherwise the hold waits (``position`` 1 is next). Raises ``Duplicate`` on ``book``
        (the customer already has an active hold on it), ``Blocked`` (rule ``limits.max_holds`` or ``manual``),
        ``InactiveCustomer`` or ``NotFound``. Under an ``idempotency_key`` a retry answers the same hold, as it
        now stands."""
        ...
    def cancel_hold(
        self, hold_id: int, *, at: Optional[datetime] = None, idempotency_key: Optional[str] = None
    ) -> Hold:
        """Cancels a waiting or ready hold at ``at`` (now by default); a copy set aside for it passes to the next
        in the queue, or the shelf. ``InvalidInput`` on ``hold`` for a hold already closed."""
        ...
    def expire_holds(self, at: Optional[datetime] = None) -> List[Hold]:
        """Expires the ready holds not picked up by ``at`` (now by default), passing each copy on; returns them.
        Run it from a scheduler."""
        ...
    def hold(self, hold_id: int) -> Hold:
        """One hold, with its ``position`` while it waits; ``NotFound`` for an unknown id."""
        ...
    def holds(self, book_id: int) -> List[Hold]:
        """A book's queue: its waiting and ready holds in placement order, the waiting ones numbered from 1."""
        ...
    def customer_holds(self, customer_id: int) -> List[Hold]:
        """A customer's holds, every status, in id order."""
        ...
    def declare_lost(
        self, *, rental_id: int, at: Optional[datetime] = None, idempotency_key: Optional[str] = None
    ) -> Receipt:
        """Closes an open rental as lost at ``at`` (now by default): charged what accrued until then (late fees
        included) plus the tariff's replacement and processing fees, each a ``fee`` entry; the copy becomes
        ``"lost"`` and the rental ``"lost"``. ``Receipt.balance`` is the balance once the fees were posted."""
        ...
    def mark_found(
        self, *, copy_id: int, at: Optional[datetime] = None, idempotency_key: Optional[str] = None
    ) -> Found:
        """Brings a lost copy back at ``at`` (now by default), to the first waiting hold of its book or the shelf;
        ``Found.credit`` is the replacement fee credited back when the plan says ``refund_when_found``.
        ``InvalidInput`` on ``copy`` for a copy that is not lost."""
        ...
    def notices(self, at: Optional[datetime] = None) -> List[Notice]:
        """What should be sent at ``at`` (now by default) and was not marked sent: rentals due within the plan's
        ``notices.due_soon_days``, overdue rentals at the highest ``notices.overdue_days`` level reached (with
        what they would be charged at ``at``), then ready holds."""
        ...
    def mark_notified(self, keys: Sequence[str], at: Optional[datetime] = None) -> int:
        """Records the notices with these keys as sent at ``at`` (now by default); returns how many were new.
        ``InvalidInput`` on ``keys`` for an empty list or a bad key, before anything is marked."""
        ...
    def rental(self, rental_id: int) -> Rental:
        """One rental; raises ``NotFound``."""
    def rentals(
        self,
        *,
        after: Optional[int] = None,
        limit: Optional[int] = None,
        status: Optional[str] = None,
        customer_id: Optional[int] = None,
        overdue_at: Optional[datetime] = None,
    ) -> List[Rental]:
        """Rentals in id order: every one, or those matching ``status`` (``"active"``, ``"closed"``, ``"lost"``),
        ``customer_id`` and ``overdue_at`` (open and past due then), one keyset page at a time (see ``books``; a
        filtered listing takes at most ``limit``, 1,000 when not given)."""
        ...
    def iter_books(self, *, after: Optional[int] = None, page_size: int = 500) -> KeysetIterator[Book]:
        """Every book after id ``after`` (from the first by default) in id order, read lazily ``page_size`` books
        at a time (1 to 1,000): ``for book in store.iter_books(): ...`` walks a catalogue of any size in constant
        memory. ``books()`` without ``limit`` gives the same records as one list."""
    def iter_customers(self, *, after: Optional[int] = None, page_size: int = 500) -> KeysetIterator[Customer]:
        """Every customer after id ``after`` in id order, read lazily one page at a time (see ``iter_books``)."""
    def iter_rentals(
        self,
        *,
        after: Optional[int] = None,
        page_size: int = 500,
        status: Optional[Literal["active", "closed", "lost"]] = None,
        customer_id: Optional[int] = None,
        overdue_at: Optional[datetime] = None,
    ) -> KeysetIterator[Rental]:
        """Every rental after id ``after`` matching ``status``, ``customer_id`` and ``overdue_at`` (as in
        ``rentals``), in id order, read lazily one page at a time (see ``iter_books``). Bad filters raise
        ``InvalidInput`` when the iterator is made."""
    def active_rentals(self) -> List[Rental]:
        """The open rentals, in id order."""
    def overdue_rentals(self, at: Optional[datetime] = None) -> List[Rental]:
        """The open rentals past their due date at ``at`` (now by default)."""
    def customer_rentals(self, customer_id: int) -> List[Rental]:
        """A customer's rentals, open and closed, in id order."""
    def revenue(self, start: datetime, end: datetime) -> List[RevenueLine]:
        """Revenue of rentals returned in ``[start, end)``, by currency and category."""
    def export_active_rentals_csv(self, path: Union[str, PathLike[str]]) -> int:
        """Writes the open rentals as CSV to ``path``; returns how many rows were written."""
    def export_active_rentals_csv_chunks(self, chunk_size: Optional[int] = None) -> CsvChunks:
        """The open rentals as CSV (the same header and rows as ``export_active_rentals_csv``), streamed in chunks
        of ``chunk_size`` bytes (64 KiB by default; the last one shorter) without holding every row in memory."""
        ...
    def export_csv_chunks(self, kind: _ExportKind, chunk_size: Optional[int] = None) -> CsvChunks:
        """The ``kind`` export as CSV — ``active-rentals``, ``overdue`` (past due at the store's clock time),
        ``ledger``, ``books`` or ``customers``: the columns and rows of ``koko export KIND`` — streamed in chunks of
        ``chunk_size`` bytes (64 KiB by default). An unknown kind raises ``InvalidInput`` naming ``kind``."""
        ...
    def outstanding_charges(self, at: Optional[datetime] = None) -> OutstandingCharges:
        """What every open rental would be charged if all came back at ``at`` (now by default), by currency."""
        ...
    def account(self, customer_id: int) -> Account:
        """A customer's account: balance, currency, manual block and every ledger entry. ``NotFound`` for an
        unknown customer."""
        ...
    def pay(
        self,
        *,
        customer_id: int,
        amount: _Money,
        at: Optional[datetime] = None,
        note: Optional[str] = None,
        currency: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> LedgerEntry:
        """Records a payment at ``at`` (now by default): a positive amount with at most the currency's decimals,
        in the store's currency (``currency``, if given, must be it). Paying more than is owed leaves a credit.
        Raises ``InvalidInput`` on ``amount`` (a float, NaN, zero, negative, too many decimals) or ``currency``."""
        ...
    def waive(
        self,
        *,
        customer_id: int,
        amount: _Money,
        reason: str,
        at: Optional[datetime] = None,
        idempotency_key: Optional[str] = None,
    ) -> LedgerEntry:
        """Forgives ``amount`` of what the customer owes at ``at`` (now by default). More than the balance is
        ``InvalidInput`` on ``amount``; a blank reason is ``InvalidInput`` on ``reason``."""
        ...
    def refund(
        self,
        *,
        customer_id: int,
        amount: _Money,
        reason: str,
        at: Optional[datetime] = None,
        idempotency_key: Optional[str] = None,
    ) -> LedgerEntry:
        """Hands back ``amount`` of the customer's credit at ``at`` (now by default). More than the credit is
        ``InvalidInput`` on ``amount``; a blank reason is ``InvalidInput`` on ``reason``."""
        ...
    def post_fee(
        self,
        *,
        customer_id: int,
        amount: _Money,
        reason: str,
        rental_id: Optional[int] = None,
        at: Optional[datetime] = None,
        idempotency_key: Optional[str] = None,
    ) -> LedgerEntry:
        """Posts a fee (a damaged cover, a lost card) at ``at`` (now by default), with a reason; ``rental_id``, if
        given, must be the customer's."""
        ...
    def statement(self, customer_id: int, start: datetime, end: datetime) -> Statement:
        """The customer's ledger over ``[start, end)``: opening balance, the period's entries, closing balance."""
        ...
    def aged_balances(self, as_of: Optional[datetime] = None) -> List[AgedBalance]:
        """Every customer who owes something at ``as_of`` (now by default), with what they owe split by age
        (0-30, 31-60, 61-90, over 90 days), in customer id order."""
        ...
    def block_customer(
        self,
        customer_id: int,
        *,
        reason: str,
        until: Optional[datetime] = None,
        at: Optional[datetime] = None,
        idempotency_key: Optional[str] = None,
    ) -> Block:
        """Blocks the customer from renting from ``at`` (now by default) until ``until`` or until unblocked,
        replacing an earlier block; their rents raise ``Blocked`` with rule ``"manual"``."""
        ...
    def unblock_customer(self, customer_id: int, *, idempotency_key: Optional[str] = None) -> None:
        """Lifts the customer's manual block (a customer who is not blocked stays so)."""
        ...
    def prune_idempotency_keys(self, before: datetime) -> int:
        """Forgets the idempotency keys first used before ``before``; returns how many. A retry with a forgotten
        key is a new request."""
        ...
    def apply_batch(
        self, batch: Batch
    ) -> List[
        Union[Book, List[Copy], Copy, Customer, Rental, Receipt, PlanVersion, Hold, List[Hold], Found, KokoError]
    ]:
        """Applies every operation of ``batch`` in order, each seeing the ones before it, each accepted or refused
        on its own; the accepted ones are committed together (on sled: one commit, one sync to disk).

        One item per operation: what it made (``Book``, ``List[Copy]``, ``Copy``, ``Customer``, ``Rental`` for a
        rent, ``Receipt`` for a return or a loss, ``PlanVersion``, ``Hold`` for a placed or cancelled hold,
        ``List[Hold]`` for ``expire_holds``, ``Found``) or, for a refused one, the exception instance it would
        have raised (not raised). Raises ``StorageError`` if the batch could not be committed (nothing stored)."""
        ...
    def events(
        self,
        after: Optional[int] = None,
        limit: int = 100,
        types: Union[None, str, Iterable[str]] = None,
    ) -> List[Event]:
        """Up to ``limit`` (1 to 1000) events after position ``after`` (from the feed's start for ``None``), in
        position order; with ``types`` (a type name or a list of them), only those. A consumer passes the last
        position it handled: positions are gap-free in commit order, so it never misses an event nor sees one
        twice. ``InvalidInput`` on ``types`` for an unknown type, on ``limit`` or ``after`` for a bad number."""
        ...
    def checkpoint(self, name: str) -> Optional[int]:
        """The last position consumer ``name`` stored with ``set_checkpoint``, or ``None``."""
        ...
    def checkpoints(self) -> Dict[str, int]:
        """Every consumer's checkpoint: ``{name: position}``."""
        ...
    def set_checkpoint(self, name: str, position: int) -> int:
        """Stores consumer ``name``'s checkpoint (the last position it handled, at most the feed's last)
        atomically and answers it. A registered consumer holds back ``prune_events`` until it has passed the
        events."""
        ...
    def remove_checkpoint(self, name: str) -> Optional[int]:
        """Forgets consumer ``name``'s checkpoint (a consumer that is gone no longer holds back ``prune_events``);
        answers the checkpoint it had, or ``None``."""
        ...
    def last_event_position(self) -> int:
        """The feed's last position (0 before the first event; pruning does not lower it): a consumer that wants
        only what comes next stores it as its checkpoint."""
        ...
    def prune_events(self, *, before: int) -> int:
        """Removes the events before position ``before``; answers how many. Refused (``InvalidInput`` on
        ``before``) past a registered consumer's checkpoint: nothing a consumer has not passed is dropped."""
        ...
    def flush(self) -> None:
        """Makes everything written so far durable."""
    def close(self) -> None:
        """Waits for operations in progress, makes everything durable and releases the store (on sled, the
        directory lock) at once, so the same process may open it again right away. Every later call raises
        ``StoreClosed`` (a ``StorageError``); closing twice does nothing."""
        ...
    @property
    def closed(self) -> bool:
        """Whether ``close`` was called (or the ``with`` block ended)."""
    def __enter__(self) -> BookStore:
        """The store itself: ``with koko.BookStore.open(path) as store:`` closes it when the block ends."""
    def __exit__(self, *exc: object) -> bool:
        """Closes the store at the end of a ``with`` block, whether or not it raised; never swallows the
        exception (returns ``False``)."""

class Batch:
    """Operations to apply together with ``BookStore.apply_batch``, in the order they were added.

    Each method takes the arguments of the ``BookStore`` method of the same name; a time left out is the moment
    the batch is applied."""

    def __init__(self) -> None: ...
    def add_book(
        self, *, title: str, author: str, category: str, isbn: Optional[str] = None, copies: Optional[int] = None
    ) -> None:
        """Adds a book with ``copies`` copies."""
    def add_copies(self, book_id: int, count: int) -> None:
        """Adds ``count`` copies of a book."""
    def withdraw_copy(self, copy_id: int) -> None:
        """Takes an available copy out of circulation."""
    def reinstate_copy(self, copy_id: int) -> None:
        """Puts a withdrawn copy back."""
    def register_customer(self, *, first_name: str, last_name: str, email: Optional[str] = None) -> None:
        """Registers an active customer."""
    def rent(
        self,
        *,
        customer_id: int,
        book_id: Optional[int] = None,
        copy_id: Optional[int] = None,
        at: Optional[datetime] = None,
    ) -> None:
        """Rents a book (its first available copy) or one copy."""
    def return_rental(
        self,
        *,
        rental_id: int,
        at: Optional[datetime] = None,
        damage_fee: Optional[_Money] = None,
        note: Optional[str] = None,
    ) -> None:
        """Returns a rental, with a damage fee if ``damage_fee`` and ``note`` are given (both or neither)."""
    def return_copy(self, *, copy_id: int, at: Optional[datetime] = None) -> None:
        """Returns the open rental of a copy (a drop box); ``InvalidInput`` if it is not out at that point."""
        ...
    def place_hold(self, *, customer_id: int, book_id: int, at: Optional[datetime] = None) -> None:
        """Queues the customer for a book (a ``Hold`` in the results)."""
        ...
    def cancel_hold(self, hold_id: int, *, at: Optional[datetime] = None) -> None:
        """Cancels a waiting or ready hold (a ``Hold`` in the results)."""
        ...
    def expire_holds(self, at: Optional[datetime] = None) -> None:
        """Expires the ready holds not picked up by ``at`` (a ``List[Hold]`` in the results)."""
        ...
    def declare_lost(self, *, rental_id: int, at: Optional[datetime] = None) -> None:
        """Closes an open rental as lost (a ``Receipt`` in the results)."""
        ...
    def mark_found(self, *, copy_id: int, at: Optional[datetime] = None) -> None:
        """Brings a lost copy back (a ``Found`` in the results)."""
        ...
    def publish_plan(self, plan: PricePlan, effective_from: datetime) -> None:
        """Publishes ``plan`` for rentals opened from ``effective_from`` (aware datetime) on."""
    def __len__(self) -> int: ...
