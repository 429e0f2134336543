"""``manage.py customer_login CUSTOMER_ID USERNAME``: a login for a koko customer, and its token on stdout."""

import koko
from django.core.management.base import BaseCommand, CommandError

from bookstore.auth import LoginTaken, customer_login


class Command(BaseCommand):
    help = (
        "Creates the login USERNAME for the koko customer CUSTOMER_ID (who then sees only their own rentals, "
        "account, holds and notices) and prints its API token. Run again, it prints the same token. While the API "
        "server holds a sled store, ask the server instead: POST /customers/CUSTOMER_ID/login/ with a staff token "
        "and the body {\"username\": USERNAME} answers the same token."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("customer_id", type=int)
        parser.add_argument("username")

    def handle(self, *args, customer_id: int, username: str, **options) -> None:
        try:
            issued = customer_login(customer_id, username)
        except (LoginTaken, koko.KokoError) as exc:
            raise CommandError(str(exc))
        self.stdout.write(issued.token)
