"""Who is calling: tokens, roles, and customer logins.

A request is **staff** (a Django user with ``is_staff``), **customer** (a user linked to one koko customer by a
``CustomerLogin``) or **anonymous** (no credentials, or a user with neither). With ``KOKO_API_AUTH=none`` every
request is staff: the original open API.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from .models import CustomerLogin
from .store import get_store


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's ``Authorization: Token <key>``, reading the token, its user and the user's customer link in one
    query (DRF's own reads the link in a second one)."""

    def authenticate_credentials(self, key):
        try:
            token = Token.objects.select_related("user", "user__customer_login").get(key=key)
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return (token.user, token)


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
