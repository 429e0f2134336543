"""Books, their copies, customers and customer logins."""

from __future__ import annotations

from typing import Optional

from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response

from .. import permissions as can
from ..auth import LoginTaken, customer_login
from ..filters import BookSearch, CustomerSearch
from ..models import CustomerLogin
from ..records import Keyset, Records
from ..serializers import (
    CATEGORY_BY_TYPE,
    BookInput,
    BookOutput,
    CopiesInput,
    CopyOutput,
    CustomerInput,
    CustomerOutput,
    LoginInput,
    LoginOutput,
)
from ..store import get_store
from . import examples as ex
from .base import CustomerScoped, KokoView, KokoViewSet, Updatable, collection, doc, example, idempotency_key


_book_update = dict(request=BookInput, write=True, examples=[example("the book", ex.BOOK)], tags=["books"])


@extend_schema_view(
    **collection("books", "List the books: search by words of title, author or ISBN, by category and availability",
                 "Add a book (staff)", BookOutput, BookInput, ex.BOOK, ex.NEW_BOOK, actions=("list", "create"),
                 description="Each book's ``rental_status`` is one ``available_copies`` read: at most ``limit`` per "
                             "page."),
    retrieve=doc("A book", BookOutput, examples=[example("a book", ex.BOOK)], tags=["books"]),
    update=doc("Change a book (staff)", BookOutput, **_book_update),
    partial_update=doc("Change some of a book's fields (staff)", BookOutput, **_book_update),
)
class BookViewSet(Updatable, KokoViewSet):
    """``/books/`` and ``/books/<id>/``: the catalogue (anyone reads it, staff change it)."""

    permission_classes = can.ANYONE_READS
    input_class = BookInput
    serializer_class = BookOutput
    filter_backends = [BookSearch]

    def records(self, store):
        return Keyset(store.books, searched=store.search_books)

    def get_serializer(self, *args, **kwargs):
        """With the store in the context: each book's ``rental_status`` is read from it. (Not in
        ``get_serializer_context``, which drf-spectacular calls too: writing the schema opens no store.)"""
        kwargs.setdefault("context", {**self.get_serializer_context(), "store": get_store()})
        return super().get_serializer(*args, **kwargs)

    def create(self, request):
        data = self.valid(request)
        book = get_store().add_book(
            title=data["title"],
            author=data["author"],
            category=CATEGORY_BY_TYPE[data["book_type"]],
            copies=data.get("copies", 1),
            idempotency_key=idempotency_key(request),
        )
        return Response(self.get_serializer(book).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk: int):
        return Response(self.get_serializer(get_store().book(pk)).data)

    def update(self, request, pk: int, partial: bool = False):
        data = self.valid(request, partial=partial)
        book = get_store().update_book(
            pk,
            title=data.get("title"),
            author=data.get("author"),
            category=CATEGORY_BY_TYPE[data["book_type"]] if "book_type" in data else None,
            idempotency_key=idempotency_key(request),
        )
        return Response(self.get_serializer(book).data)


@extend_schema_view(
    get=doc("A book's copies (staff)", CopyOutput(many=True), examples=[example("copies", ex.COPY)], tags=["copies"]),
    post=doc(
        "Add copies of a book (staff): they serve its waiting holds first",
        {201: CopyOutput(many=True)},
        request=CopiesInput,
        write=True,
        examples=[example("two more", {"count": 2}, request=True), example("added", [ex.COPY], status=201)],
        tags=["copies"],
    ),
)
class BookCopies(KokoView):
    permission_classes = can.STAFF
    input_class = CopiesInput
    serializer_class = CopyOutput

    def records(self, store):
        return Records(store.copies, {"book_id": self.kwargs["pk"]})

    def get(self, request, pk: int):
        return self.list(request)

    def post(self, request, pk: int):
        data = self.valid(request)
        copies = get_store().add_copies(pk, data["count"], idempotency_key=idempotency_key(request))
        return Response(CopyOutput(copies, many=True).data, status=status.HTTP_201_CREATED)


class CopyAction(KokoView):
    """POST: a change of one copy (staff); subclasses name the koko call."""

    permission_classes = can.STAFF
    api_fields = {"copy": "copy_id"}

    def post(self, request, pk: int):
        return Response(CopyOutput(self.act(pk, idempotency_key(request))).data)

    def act(self, copy_id: int, key):
        raise NotImplementedError


@extend_schema_view(
    post=doc(
        "Withdraw a copy from circulation (staff)",
        CopyOutput,
        request=None,
        write=True,
        examples=[example("withdrawn", {**ex.COPY, "status": "withdrawn"})],
        tags=["copies"],
    )
)
class CopyWithdraw(CopyAction):
    def act(self, copy_id, key):
        return get_store().withdraw_copy(copy_id, idempotency_key=key)


@extend_schema_view(
    post=doc(
        "Put a withdrawn copy back: to the first waiting hold, or the shelf (staff)",
        CopyOutput,
        request=None,
        write=True,
        examples=[example("back", ex.COPY)],
        tags=["copies"],
    )
)
class CopyReinstate(CopyAction):
    def act(self, copy_id, key):
        return get_store().reinstate_copy(copy_id, idempotency_key=key)


_customer_update = dict(request=CustomerInput, write=True, examples=[example("the customer", ex.CUSTOMER)],
                        tags=["customers"])


@extend_schema_view(
    **collection("customers", "List the customers, or search them by words of name or email (staff)",
                 "Register a customer (staff)", CustomerOutput, CustomerInput, ex.CUSTOMER, ex.NEW_CUSTOMER,
                 actions=("list", "create")),
    retrieve=doc("A customer (staff, or the customer)", CustomerOutput, examples=[example("Ada", ex.CUSTOMER)],
                 tags=["customers"]),
    update=doc("Change a customer (staff)", CustomerOutput, **_customer_update),
    partial_update=doc("Change some of a customer's fields (staff)", CustomerOutput, **_customer_update),
)
class CustomerViewSet(Updatable, KokoViewSet):
    """``/customers/`` (staff) and ``/customers/<id>/`` (staff, or the customer reads their own)."""

    permission_classes = can.OWNER_READS
    input_class = CustomerInput
    serializer_class = CustomerOutput
    filter_backends = [CustomerSearch]

    def get_permissions(self):
        if not self.detail:
            return [permission() for permission in can.STAFF]  # the collection is staff's
        return super().get_permissions()

    def owner_id(self, request) -> Optional[int]:
        return self.kwargs["pk"]

    def records(self, store):
        return Keyset(store.customers, searched=store.search_customers)

    def create(self, request):
        data = self.valid(request)
        store = get_store()
        customer = store.register_customer(
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data.get("email"),
            idempotency_key=idempotency_key(request),
        )
        if data.get("is_active") is False:
            # A second call (register_customer has no active=); setting active=False again on a retry is
            # harmless, so it takes no key (one key is one request's one effect).
            customer = store.update_customer(customer.id, active=False)
        return Response(self.get_serializer(customer).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk: int):
        return Response(self.get_serializer(get_store().customer(pk)).data)

    def update(self, request, pk: int, partial: bool = False):
        data = self.valid(request, partial=partial)
        customer = get_store().update_customer(
            pk,
            first_name=data.get("first_name"),
            last_name=data.get("last_name"),
            email=data.get("email"),
            active=data.get("is_active"),
            idempotency_key=idempotency_key(request),
        )
        return Response(self.get_serializer(customer).data)


@extend_schema_view(
    post=doc(
        "Create the customer's login and give its token (staff); again for the same username: the same token",
        {201: LoginOutput, 200: LoginOutput},
        request=LoginInput,
        examples=[example("ada", {"username": "ada"}, request=True), example("the token", ex.LOGIN, status=201)],
        tags=["customers"],
    ),
    delete=doc(
        "Revoke the customer's login token (staff): it stops working at once; POST issues a new one",
        {204: None},
        tags=["customers"],
    ),
)
class CustomerLoginView(CustomerScoped):
    permission_classes = can.STAFF
    input_class = LoginInput
    finds_records = True  # a customer without a login: 404

    def delete(self, request, pk: int):
        link = CustomerLogin.objects.filter(customer_id=pk).first()
        if link is None:
            raise exceptions.NotFound(f"customer {pk} has no login")
        Token.objects.filter(user_id=link.user_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    def post(self, request, pk: int):
        data = self.valid(request)
        try:
            issued = customer_login(pk, data["username"])
        except LoginTaken as exc:
            raise exceptions.ValidationError({"username": [str(exc)]})
        answer = LoginOutput(issued).data
        return Response(answer, status=status.HTTP_201_CREATED if issued.created else status.HTTP_200_OK)
