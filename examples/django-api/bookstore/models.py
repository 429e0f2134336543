"""The API's only model: which Django user is which koko customer. Everything else lives in koko."""

from django.conf import settings
from django.db import models


class CustomerLogin(models.Model):
    """A user who acts as one koko customer: their own rentals, account, holds and notices, nothing else."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_login")
    customer_id = models.PositiveBigIntegerField(unique=True, help_text="The koko customer's id.")

    def __str__(self) -> str:
        return f"{self.user} → customer {self.customer_id}"
