"""The original's tables: a book is one copy with a ``rental_status``; a rental marks its book rented when created
and computes its charge when ``date_returned`` is set."""

import sys
from pathlib import Path

from django.db import models
from django.utils import timezone

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from story3_reference import story3_charge  # noqa: E402

CATEGORIES = {"R": "regular", "F": "fiction", "N": "novel"}


class Customer(models.Model):
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)


class Book(models.Model):
    AVAILABLE, RENTED_OUT = 0, 1
    title = models.CharField(max_length=150)
    author = models.CharField(max_length=100)
    book_type = models.CharField(max_length=2, choices=[("R", "Regular"), ("F", "Fiction"), ("N", "Novel")],
                                 default="R")
    rental_status = models.IntegerField(choices=[(AVAILABLE, "Available"), (RENTED_OUT, "Rented Out")],
                                        default=AVAILABLE)
    date_added = models.DateTimeField(auto_now_add=True)

    @property
    def is_available(self) -> bool:
        return self.rental_status == self.AVAILABLE


class Rental(models.Model):
    ACTIVE, CLOSED = 0, 1
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    book = models.ForeignKey(Book, on_delete=models.CASCADE)
    rental_status = models.IntegerField(choices=[(ACTIVE, "Active"), (CLOSED, "Closed")], default=ACTIVE)
    date_rented = models.DateTimeField(default=timezone.now)
    date_returned = models.DateTimeField(null=True)
    amount_charged = models.DecimalField(max_digits=10, decimal_places=2, default=0)

    def save(self, *args, **kwargs):
        if self.pk is None:
            self.book.rental_status = Book.RENTED_OUT
            self.book.save(update_fields=["rental_status"])
        if self.date_returned and not self.amount_charged:
            self.amount_charged = story3_charge(CATEGORIES[self.book.book_type], self.date_rented,
                                                self.date_returned)
            self.rental_status = self.CLOSED
        super().save(*args, **kwargs)
