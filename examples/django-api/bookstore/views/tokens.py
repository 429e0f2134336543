"""A caller's own token: rotate it (a new key, the old one stops working at once) or revoke it. (Staff revoke a
customer's token with ``DELETE /customers/{id}/login/``.) Tokens are DRF's ``authtoken`` rows: one per user."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response

from .. import permissions as can
from ..serializers import Serializer
from .base import KokoView, doc, example


class TokenOutput(Serializer):
    token = serializers.CharField(help_text="The new key: send it as `Authorization: Token <key>`.")


@extend_schema_view(
    delete=doc("Revoke the token this request authenticated with: it stops working at once", {204: None},
               tags=["auth"]),
)
class OwnToken(KokoView):
    permission_classes = can.TOKEN_HOLDER

    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    post=doc("Rotate the token this request authenticated with: a new key; the old one stops working at once",
             TokenOutput, request=None,
             examples=[example("the new key", {"token": "f2a1c6a9d8e04b7f9b3b0d5e7c1a2b3c4d5e6f70"})],
             tags=["auth"]),
)
class RotateToken(KokoView):
    permission_classes = can.TOKEN_HOLDER

    def post(self, request):
        with transaction.atomic():
            Token.objects.filter(user=request.user).delete()
            token = Token.objects.create(user=request.user)
        return Response(TokenOutput({"token": token.key}).data)
