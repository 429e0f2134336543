from django.http import JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema", template_name="bookstore/redoc.html"), name="redoc"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api-auth/", include("bookstore.login")),  # the docs pages' session login (failed logins throttled)
    path("", include("bookstore.urls")),
]


def not_found(request, exception=None):
    """An unknown path answers JSON like the API's own 404s (DEBUG=1 shows Django's page instead)."""
    return JsonResponse({"detail": "Not found."}, status=404)


handler404 = not_found
