"""Who is calling: tokens, roles, and customer logins.

A request is **staff** (a Django user with ``is_staff``), **customer** (a user linked to one koko customer by a
``CustomerLogin``) or **anonymous** (no credentials, or a user with neither). With ``KOKO_API_AUTH=none`` every
request is staff: the original open API.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Optional

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from .models import CustomerLogin
from .store import get_store
from .throttling import FailureCounter, client_address

bad_tokens = FailureCounter("bad_token")


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's ``Authorization: Token <key>``, reading the token, its user and the user's customer link in one
    statement (DRF's own reads the link in a second one). The statement is written once, from the models' own
    tables and columns, and run as it is: building it through the ORM at every request cost more than running it.

    Failed attempts (an unknown, revoked or malformed token, an inactive user) are counted per client address (the
    ``bad_token`` rate, ``KOKO_API_THROTTLE_BAD_TOKEN``): once an address reached it in the current window, every
    token it sends answers 429 with ``Retry-After``, unchecked, until the window ends."""

    def authenticate(self, request):
        words = authentication.get_authorization_header(request).split()
        if not words or words[0].lower() != self.keyword.lower().encode():
            return None  # no token: nothing to count
        keys = [("address", client_address(request))]
        wait = bad_tokens.refused(keys)
        if wait is not None:
            raise exceptions.Throttled(wait=math.ceil(wait), detail="Too many failed token authentications.")
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            bad_tokens.failed(keys)
            raise

    def authenticate_credentials(self, key):
        token = _token_with_user(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return (token.user, token)


class _TokenQuery:
    """``SELECT`` the token, its user and the user's customer link by key; turns the row into model instances with
    the link cached on the user (``user.customer_login`` answers without a query, or raises ``DoesNotExist``)."""

    def __init__(self) -> None:
        User = get_user_model()
        self.models = (Token, User, CustomerLogin)
        self.fields = [[f.attname for f in model._meta.concrete_fields] for model in self.models]
        qn = connection.ops.quote_name
        token_table, user_table, link_table = (qn(model._meta.db_table) for model in self.models)
        columns = [
            f"{table}.{qn(model._meta.get_field(name).column)}"
            for model, table, names in zip(self.models, (token_table, user_table, link_table), self.fields)
            for name in names
        ]
        # The database's values become Python ones as the ORM converts them (SQLite's datetimes are text, …).
        self.converters = []
        for model, names in zip(self.models, self.fields):
            for name in names:
                field = model._meta.get_field(name)
                column = field.get_col(model._meta.db_table)
                found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
                self.converters.append([(converter, column) for converter in found])
        user_fk = qn(Token._meta.get_field("user").column)
        link_fk = qn(CustomerLogin._meta.get_field("user").column)
        user_pk = qn(User._meta.pk.column)
        self.sql = (
            f"SELECT {', '.join(columns)} FROM {token_table}"
            f" INNER JOIN {user_table} ON {token_table}.{user_fk} = {user_table}.{user_pk}"
            f" LEFT OUTER JOIN {link_table} ON {link_table}.{link_fk} = {user_table}.{user_pk}"
            f" WHERE {token_table}.{qn(Token._meta.pk.column)} = %s"
        )

    def find(self, key: str) -> Optional[Token]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [key])
            row = cursor.fetchone()
        if row is None:
            return None
        row = [self._convert(value, converters) for value, converters in zip(row, self.converters)]
        instances = []
        start = 0
        for model, names in zip(self.models, self.fields):
            values = row[start:start + len(names)]
            start += len(names)
            instances.append(model.from_db(connection.alias, names, values) if values[0] is not None else None)
        token, user, link = instances
        token.user = user
        # The reverse one-to-one's cache: the link, or None (then user.customer_login raises DoesNotExist).
        CustomerLogin._meta.get_field("user").remote_field.set_cached_value(user, link)
        if link is not None:
            link.user = user
        return token


    @staticmethod
    def _convert(value, converters):
        for converter, column in converters:
            value = converter(value, column, connection)
        return value


_token_query: Optional[_TokenQuery] = None


def _token_with_user(key: str) -> Optional[Token]:
    global _token_query
    if _token_query is None:
        _token_query = _TokenQuery()
    return _token_query.find(key)


class Role(enum.Enum):
    STAFF = "staff"
    CUSTOMER = "customer"
    ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Caller:
    role: Role
    customer_id: Optional[int] = None


STAFF = Caller(Role.STAFF)
ANONYMOUS = Caller(Role.ANONYMOUS)


def caller(request) -> Caller:
    """The role of a request's user (cached on the request)."""
    found = getattr(request, "_koko_caller", None)
    if found is None:
        found = _caller_of(getattr(request, "user", None))
        request._koko_caller = found
    return found


def _caller_of(user) -> Caller:
    if not settings.AUTH_ENABLED:
        return STAFF
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    if user.is_staff:
        return STAFF
    try:
        return Caller(Role.CUSTOMER, user.customer_login.customer_id)
    except CustomerLogin.DoesNotExist:
        return ANONYMOUS


class LoginTaken(Exception):
    """The username belongs to someone else, or the customer already logs in under another name."""


@dataclass(frozen=True)
class IssuedLogin:
    username: str
    customer_id: int
    token: str
    created: bool


def customer_login(customer_id: int, username: str) -> IssuedLogin:
    """Creates the login ``username`` for the koko customer ``customer_id`` (which must exist: ``koko.NotFound``
    otherwise) and its token; for a login that already exists for this customer, answers its token again."""
    get_store().customer(customer_id)
    User = get_user_model()
    try:
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_unusable_password()  # the token is the credential
                user.save(update_fields=["password"])
            link = CustomerLogin.objects.filter(user=user).first()
            if link is None and not created:
                raise LoginTaken(f"the username {username!r} is taken")
            if link is None:
                link = CustomerLogin.objects.create(user=user, customer_id=customer_id)
            if link.customer_id != customer_id:
                raise LoginTaken(f"the username {username!r} is taken")
            token, token_created = Token.objects.get_or_create(user=user)
    except IntegrityError:
        other = CustomerLogin.objects.select_related("user").filter(customer_id=customer_id).first()
        name = other.user.get_username() if other else "another user"
        raise LoginTaken(f"customer {customer_id} already logs in as {name!r}")
    return IssuedLogin(user.get_username(), customer_id, token.key, created or token_created)
