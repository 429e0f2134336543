"""Example bodies for the docs (drf-spectacular), one story: Ada rents The Hobbit under story 3."""

BOOK = {"id": 1, "title": "The Hobbit", "author": "J. R. R. Tolkien", "book_type": "N", "rental_status": "Available"}
NEW_BOOK = {"title": "The Hobbit", "author": "J. R. R. Tolkien", "book_type": "N", "copies": 2}
CUSTOMER = {"id": 1, "first_name": "Ada", "last_name": "Lovelace", "is_active": True, "email": "ada@example.org"}
NEW_CUSTOMER = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org"}
RENTAL = {
    "id": 1,
    "book": 1,
    "customer_id": 1,
    "book_title": "The Hobbit",
    "rental_status": "Active",
    "date_rented": "2024-06-03T10:00:00Z",
    "date_returned": None,
    "amount_charged": None,
    "currency": None,
    "charge": None,
}
CLOSED = {
    **RENTAL,
    "rental_status": "Closed",
    "date_returned": "2024-06-06T09:00:00Z",
    "amount_charged": "4.50",
    "currency": "USD",
    "charge": {
        "days": 2,
        "total": "4.50",
        "currency": "USD",
        "lines": [
            {"description": "days 1–2 at 1.50", "amount": "3.00"},
            {"description": "minimum charge adjustment", "amount": "1.50"},
        ],
    },
    "balance": "4.50",
}
RENEWED = {**RENTAL, "due_date": "2024-06-24T10:00:00Z", "renewals": ["2024-06-15T09:00:00Z"]}
ENTRY = {
    "id": 2,
    "customer_id": 1,
    "kind": "payment",
    "amount": "5.00",
    "currency": "USD",
    "at": "2024-06-06T09:12:03Z",
    "rental_id": None,
    "note": "cash",
    "balance_after": "-0.50",
}
BLOCK = {"reason": "lost card", "since": "2024-06-06T09:00:00Z", "until": None}
ACCOUNT = {"customer_id": 1, "balance": "-0.50", "currency": "USD", "block": None, "entries": [ENTRY]}
HOLD = {
    "id": 1,
    "book_id": 1,
    "customer_id": 1,
    "placed_at": "2024-06-03T10:00:00Z",
    "status": "waiting",
    "position": 1,
    "copy_id": None,
    "ready_until": None,
    "closed_at": None,
    "rental_id": None,
}
COPY = {"id": 3, "book_id": 1, "status": "available", "rental_id": None}
NOTICE = {
    "key": "overdue:1:1",
    "kind": "overdue",
    "level": 1,
    "customer_id": 1,
    "book_id": 1,
    "rental_id": 1,
    "hold_id": None,
    "due_at": "2024-06-17T10:00:00Z",
    "amount": "21.00",
    "currency": "USD",
}
QUOTE = {
    "days": 2,
    "total": "4.50",
    "currency": "USD",
    "lines": [
        {"description": "days 1–2 at 1.50", "amount": "3.00"},
        {"description": "minimum charge adjustment", "amount": "1.50"},
    ],
}
PLAN = {
    "name": "spring 2025",
    "currency": "USD",
    "rounding": "half_even",
    "day_count": {"policy": "elapsed_whole_days_min1"},
    "categories": {
        "regular": {"tiers": [{"from_day": 1, "rate": "1.00"}, {"from_day": 3, "rate": "1.50"}], "minimum": "2.00"},
        "fiction": {"tiers": [{"from_day": 1, "rate": "3.00"}]},
        "novel": {"tiers": [{"from_day": 1, "rate": "1.50"}], "minimum": "4.50"},
    },
}
PLAN_VERSION = {"id": 2, "effective_from": "2025-03-01T00:00:00Z", "plan": PLAN}
REVENUE = {"currency": "USD", "category": "novel", "book_type": "N", "rentals": 12, "total": "61.50"}
OUTSTANDING = {"at": "2024-06-06T09:00:00Z", "rentals": 3, "totals": [{"currency": "USD", "total": "13.50"}]}
AGED = {
    "customer_id": 1,
    "balance": "12.00",
    "days_0_30": "4.50",
    "days_31_60": "7.50",
    "days_61_90": "0.00",
    "days_over_90": "0.00",
}
LOGIN = {"username": "ada", "customer_id": 1, "token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}
CSV = (
    "rental_id,copy_id,book_id,customer_id,category,rented_at,due_at,plan_version\n"
    "1,1,1,1,novel,2024-06-03T10:00:00Z,,1\n"
)
DUMP = (
    '{"koko_dump":1,"written_by":"koko-core 0.1.0","taken_at":"2024-06-09T02:00:00Z"}\n'
    '{"book":{"book":{"id":1,"title":"Emma","author":"Jane Austen","isbn":null,"category":"novel"},"copies":[…]}}\n'
    "…\n"
    '{"end":{"counts":{"book":1,"copy":2,"customer":1,"plan_version":1}}}\n'
)
NOTICES_SENT = {
    "dry_run": False,
    "expired": 0,
    "emails": 2,
    "notices": 3,
    "failures": 0,
    "without_email": 1,
    "lines": ["expired 0 holds not picked up by 2024-06-09T10:00:00Z", 'sent to ada@example.org: Overdue: "Emma"',
              "sent to ada@example.org: Due soon: 2 books"],
    "problems": ["customer 3 (Carol Shaw) has no email address: 1 notices not sent"],
    "summary": "sent 2 emails for 3 notices; 1 customers without email",
}
