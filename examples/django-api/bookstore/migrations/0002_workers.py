from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bookstore", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="WorkerLease",
            fields=[
                ("name", models.CharField(max_length=64, primary_key=True, serialize=False)),
                (
                    "holder",
                    models.CharField(blank=True, default="", help_text="Who holds it: a random token.", max_length=128),
                ),
                ("expires_at", models.DateTimeField(help_text="Free from then on, unless its holder renews it.")),
            ],
        ),
        migrations.CreateModel(
            name="ExportJob",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("active-rentals", "active-rentals"),
                            ("overdue", "overdue"),
                            ("ledger", "ledger"),
                            ("books", "books"),
                            ("customers", "customers"),
                        ],
                        max_length=32,
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("queued", "queued"),
                            ("running", "running"),
                            ("done", "done"),
                            ("failed", "failed"),
                            ("expired", "expired"),
                        ],
                        db_index=True,
                        default="queued",
                        max_length=16,
                    ),
                ),
                ("rows", models.PositiveBigIntegerField(default=0, help_text="Data rows written so far.")),
                ("created_at", models.DateTimeField()),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "expires_at",
                    models.DateTimeField(blank=True, help_text="When the file is deleted (once done).", null=True),
                ),
                ("error", models.TextField(blank=True, default="")),
                (
                    "worker",
                    models.CharField(
                        blank=True, default="", help_text="The worker that claimed it.", max_length=128
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=models.deletion.SET_NULL,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
    ]
