"""Books, their copies, customers and customer logins."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response

from .. import permissions as can
from ..auth import LoginTaken, customer_login
from ..listing import Keyset, list_response
from ..models import CustomerLogin
from ..serializers import (
    CATEGORY_BY_TYPE,
    BookInput,
    BookOutput,
    BookSearchQuery,
    CopiesInput,
    CopyOutput,
    CustomerInput,
    CustomerOutput,
    CustomerSearchQuery,
    LoginInput,
    LoginOutput,
)
from ..store import get_store
from . import examples as ex
from .base import CustomerScoped, KokoView, Updatable, collection, doc, example, idempotency_key


@collection("books", "List the books: search by words of title, author or ISBN, by category and availability",
            "Add a book (staff)", BookOutput, BookInput, ex.BOOK, ex.NEW_BOOK, query=BookSearchQuery)
class BookList(KokoView):
    """Each book's ``rental_status`` is one ``available_copies`` read: at most ``limit`` per page."""

    permission_classes = can.ANYONE_READS
    input_class = BookInput
    query_class = BookSearchQuery

    def get(self, request):
        query = self.valid_query(request)
        store = get_store()
        search, category, available = query.get("search") or None, query.get("category"), query.get("available")
        if search is None and category is None and available is None:
            books = Keyset(lambda after, limit: store.books(after=after, limit=limit))
        else:
            books = Keyset(lambda after, limit: store.search_books(
                search, category=category, available=available, after=after, limit=limit))
        return list_response(request, books, BookOutput, {"store": store})

    def post(self, request):
        data = self.valid(request)
        store = get_store()
        book = store.add_book(
            title=data["title"],
            author=data["author"],
            category=CATEGORY_BY_TYPE[data["book_type"]],
            copies=data.get("copies", 1),
            idempotency_key=idempotency_key(request),
        )
        return Response(BookOutput(book, context={"store": store}).data, status=status.HTTP_201_CREATED)


_book_update = dict(request=BookInput, write=True, examples=[example("the book", ex.BOOK)], tags=["books"])


@extend_schema_view(
    get=doc("A book", BookOutput, examples=[example("a book", ex.BOOK)], tags=["books"]),
    put=doc("Change a book (staff)", BookOutput, **_book_update),
    patch=doc("Change some of a book's fields (staff)", BookOutput, **_book_update),
)
class BookDetail(Updatable, KokoView):
    permission_classes = can.ANYONE_READS
    input_class = BookInput

    def get(self, request, pk: int):
        store = get_store()
        return Response(BookOutput(store.book(pk), context={"store": store}).data)

    def update(self, request, pk: int, data: dict):
        store = get_store()
        book = store.update_book(
            pk,
            title=data.get("title"),
            author=data.get("author"),
            category=CATEGORY_BY_TYPE[data["book_type"]] if "book_type" in data else None,
            idempotency_key=idempotency_key(request),
        )
        return Response(BookOutput(book, context={"store": store}).data)


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

    def get(self, request, pk: int):
        return list_response(request, get_store().copies(pk), CopyOutput)

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


@collection("customers", "List the customers, or search them by words of name or email (staff)",
            "Register a customer (staff)", CustomerOutput, CustomerInput, ex.CUSTOMER, ex.NEW_CUSTOMER,
            query=CustomerSearchQuery)
class CustomerList(KokoView):
    permission_classes = can.STAFF
    input_class = CustomerInput
    query_class = CustomerSearchQuery

    def get(self, request):
        search = self.valid_query(request).get("search") or None
        store = get_store()
        if search is None:
            customers = Keyset(lambda after, limit: store.customers(after=after, limit=limit))
        else:
            customers = Keyset(lambda after, limit: store.search_customers(search, after=after, limit=limit))
        return list_response(request, customers, CustomerOutput)

    def post(self, request):
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
        return Response(CustomerOutput(customer).data, status=status.HTTP_201_CREATED)


_customer_update = dict(request=CustomerInput, write=True, examples=[example("the customer", ex.CUSTOMER)],
                        tags=["customers"])


@extend_schema_view(
    get=doc("A customer (staff, or the customer)", CustomerOutput, examples=[example("Ada", ex.CUSTOMER)],
            tags=["customers"]),
    put=doc("Change a customer (staff)", CustomerOutput, **_customer_update),
    patch=doc("Change some of a customer's fields (staff)", CustomerOutput, **_customer_update),
)
class CustomerDetail(Updatable, CustomerScoped):
    permission_classes = can.OWNER_READS
    input_class = CustomerInput

    def get(self, request, pk: int):
        return Response(CustomerOutput(get_store().customer(pk)).data)

    def update(self, request, pk: int, data: dict):
        customer = get_store().update_customer(
            pk,
            first_name=data.get("first_name"),
            last_name=data.get("last_name"),
            email=data.get("email"),
            active=data.get("is_active"),
            idempotency_key=idempotency_key(request),
        )
        return Response(CustomerOutput(customer).data)


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
