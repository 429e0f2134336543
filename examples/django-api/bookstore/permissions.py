"""Who may do what, as DRF permission classes that views compose with ``|`` and ``&``.

- ``IsStaff``: staff (with ``KOKO_API_AUTH=none``, everyone).
- ``HasToken``: any caller who authenticated with a token (to rotate or revoke it).
- ``ReadOnly``: any caller, anonymous included, for GET/HEAD/OPTIONS.
- ``IsOwner``: a customer acting on their own records; the view says whose a record is (``owner_id``). Another
  customer's records answer **404** exactly as an unknown id does (same status, same body), so ids reveal nothing.
- ``AtServerTime``: customers rent, return, renew and cancel at the server's time: a time in the body (the view's
  ``time_fields``) is a **403**.

A request the classes refuse is a 401 without credentials and a 403 with them (DRF's rule).
"""

from __future__ import annotations

from typing import Optional

import koko
from rest_framework import exceptions, permissions

from .auth import Role, caller


class IsStaff(permissions.BasePermission):
    message = "Only staff may do this."

    def has_permission(self, request, view) -> bool:
        return caller(request).role is Role.STAFF


class HasToken(permissions.BasePermission):
    """A caller who authenticated with a token (``Authorization: Token …``), whatever their role."""

    message = "Authenticate with a token to manage it."

    def has_permission(self, request, view) -> bool:
        return request.auth is not None and getattr(request.user, "is_authenticated", False)


class ReadOnly(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS


class IsOwner(permissions.BasePermission):
    """A customer's own record. Another customer's and one that does not exist answer the same 404
    (``{"detail": "Not found."}``), so a customer cannot tell which ids exist; staff get koko's own message."""

    def has_permission(self, request, view) -> bool:
        who = caller(request)
        if who.role is not Role.CUSTOMER:
            return False
        try:
            owner: Optional[int] = view.owner_id(request)  # reads the record: koko.NotFound if it does not exist
        except koko.NotFound:
            raise exceptions.NotFound() from None
        if owner is not None and owner != who.customer_id:
            raise exceptions.NotFound()
        return True


class AtServerTime(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        if caller(request).role is not Role.CUSTOMER:
            return True
        data = request.data if isinstance(request.data, dict) else {}
        for field in view.time_fields:
            if field in data:
                raise exceptions.PermissionDenied(
                    f"Customers act at the server's time: leave out {field} (staff may give one)."
                )
        return True


STAFF = [IsStaff]
TOKEN_HOLDER = [HasToken]
ANYONE_READS = [IsStaff | ReadOnly]
OWNER_OR_STAFF = [IsStaff | IsOwner]
OWNER_READS = [IsStaff | (ReadOnly & IsOwner)]
OWNER_AT_SERVER_TIME = [IsStaff | (IsOwner & AtServerTime)]
