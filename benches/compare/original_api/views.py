"""The original's views: generic views with DRF's mixins."""

from rest_framework import generics, mixins, serializers

from .models import Book, Customer, Rental


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["id", "title", "author", "book_type", "rental_status"]
        read_only_fields = ["rental_status"]


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "first_name", "last_name", "is_active"]


class CustomerRentalSerializer(serializers.ModelSerializer):
    rental_status = serializers.CharField(source="get_rental_status_display", read_only=True)
    book_title = serializers.CharField(source="book.title", read_only=True)

    class Meta:
        model = Rental
        fields = ["id", "book", "customer_id", "rental_status", "book_title", "date_rented"]

    def validate_book(self, book):
        if not book.is_available:
            raise serializers.ValidationError("Book is unavailable")
        return book


class CloseRentalSerializer(serializers.ModelSerializer):
    currency = serializers.SerializerMethodField()
    rental_status = serializers.CharField(source="get_rental_status_display", read_only=True)

    class Meta:
        model = Rental
        fields = ["id", "amount_charged", "currency", "rental_status", "date_returned"]
        read_only_fields = ["amount_charged", "currency", "rental_status"]

    def get_currency(self, obj):
        return "USD"


class BookList(mixins.ListModelMixin, mixins.CreateModelMixin, generics.GenericAPIView):
    queryset = Book.objects.all()
    serializer_class = BookSerializer

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.create(request, *args, **kwargs)


class CustomerList(mixins.ListModelMixin, mixins.CreateModelMixin, generics.GenericAPIView):
    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.create(request, *args, **kwargs)


class CustomerRentalList(mixins.ListModelMixin, mixins.CreateModelMixin, generics.GenericAPIView):
    serializer_class = CustomerRentalSerializer

    def get_queryset(self):
        return Rental.objects.filter(customer_id=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.save(customer_id=self.kwargs["pk"])


class RentalClose(mixins.UpdateModelMixin, generics.GenericAPIView):
    queryset = Rental.objects.all()
    serializer_class = CloseRentalSerializer

    def put(self, request, *args, **kwargs):
        book = self.get_object().book
        book.rental_status = Book.AVAILABLE
        book.save(update_fields=["rental_status"])
        return self.partial_update(request, *args, **kwargs)
