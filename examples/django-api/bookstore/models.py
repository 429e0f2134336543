"""The API's models: which Django user is which koko customer, and the background workers' bookkeeping (leases, export
jobs), the webhooks and their deliveries' log. Everything else lives in koko."""

from django.conf import settings
from django.db import models


class CustomerLogin(models.Model):
    """A user who acts as one koko customer: their own rentals, account, holds and notices, nothing else."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_login")
    customer_id = models.PositiveBigIntegerField(unique=True, help_text="The koko customer's id.")

    def __str__(self) -> str:
        return f"{self.user} → customer {self.customer_id}"


class WorkerLease(models.Model):
    """A named lease one worker holds at a time (``bookstore.workers.lease``): the notices run and the webhook relay
    take one, so several workers — a thread, Celery processes on other machines — never do the same work twice. It
    is taken with one conditional UPDATE (free or expired → ours), which SQLite and PostgreSQL both run atomically."""

    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=128, blank=True, default="", help_text="Who holds it: a random token.")
    expires_at = models.DateTimeField(help_text="Free from then on, unless its holder renews it.")

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or 'nobody'} until {self.expires_at}"


class ExportJob(models.Model):
    """A CSV export run in the background (``POST /exports/``): koko writes the file (``BookStore.export_csv_chunks``),
    a worker streams it to ``KOKO_API_EXPORTS_DIR`` and records its progress here."""

    QUEUED, RUNNING, DONE, FAILED, EXPIRED = "queued", "running", "done", "failed", "expired"
    STATES = [(s, s) for s in (QUEUED, RUNNING, DONE, FAILED, EXPIRED)]
    KINDS = [(k, k) for k in ("active-rentals", "overdue", "ledger", "books", "customers")]

    kind = models.CharField(max_length=32, choices=KINDS)
    state = models.CharField(max_length=16, choices=STATES, default=QUEUED, db_index=True)
    rows = models.PositiveBigIntegerField(default=0, help_text="Data rows written so far.")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When the file is deleted (once done).")
    error = models.TextField(blank=True, default="")
    worker = models.CharField(max_length=128, blank=True, default="", help_text="The worker that claimed it.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return f"export {self.pk} ({self.kind}): {self.state}"


class Webhook(models.Model):
    """A receiver of koko's events (``bookstore.webhooks``): each event of its types after its koko checkpoint
    ``webhook:<id>`` is POSTed to ``url``, signed with ``secret``, one at a time in position order. ``events`` empty:
    every type. A delivery that fails is retried with backoff (``next_attempt_at``) from ``failing_since`` on, for
    ``KOKO_WEBHOOK_RETRY_HOURS``; then the webhook is ``failed`` (its dead letter, ``failure``) until a manual retry.
    ``leased_by``/``leased_until``: the relay that is delivering to it now (one at a time)."""

    ACTIVE, PAUSED, FAILED = "active", "paused", "failed"
    STATES = [(s, s) for s in (ACTIVE, PAUSED, FAILED)]

    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, blank=True, help_text="Event types it receives; empty: every type.")
    secret = models.CharField(max_length=128, help_text="Signs each delivery (HMAC-SHA256); shown once.")
    state = models.CharField(max_length=16, choices=STATES, default=ACTIVE, db_index=True)
    created_at = models.DateTimeField()
    failure = models.TextField(blank=True, default="", help_text="Why it failed: the event and the last error.")
    failing_position = models.PositiveBigIntegerField(null=True, blank=True,
                                                      help_text="The event being retried, if any.")
    failing_since = models.DateTimeField(null=True, blank=True, help_text="The first failed attempt at it.")
    attempts = models.PositiveIntegerField(default=0, help_text="Attempts at the failing event so far.")
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="No delivery before then (backoff).")
    leased_by = models.CharField(max_length=64, blank=True, default="")
    leased_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"webhook {self.pk} → {self.url} ({self.state})"


class Delivery(models.Model):
    """One attempt to deliver one event to a webhook, and its answer."""

    PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
    STATES = [(s, s) for s in (PENDING, DELIVERED, FAILED)]

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=32)
    position = models.PositiveBigIntegerField()
    type = models.CharField(max_length=64)
    attempt = models.PositiveIntegerField(help_text="1 for the first attempt at this event, then 2, 3, …")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True, help_text="The receiver's HTTP status, if any.")
    response = models.CharField(max_length=500, blank=True, default="", help_text="The answer's first characters.")
    error = models.TextField(blank=True, default="", help_text="Why it failed: a status, a timeout, a refusal.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=STATES)

    class Meta:
        indexes = [models.Index(fields=["webhook", "-id"], name="bookstore_delivery_newest")]

    def __str__(self) -> str:
        return f"{self.event_id} → webhook {self.webhook_id}, attempt {self.attempt}: {self.state}"
