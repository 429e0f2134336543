from django.urls import path

from . import views

urlpatterns = [
    path("books/", views.BookList.as_view()),
    path("customers/", views.CustomerList.as_view()),
    path("customers/<int:pk>/rentals/", views.CustomerRentalList.as_view()),
    path("rentals/<int:pk>/close/", views.RentalClose.as_view()),
]
