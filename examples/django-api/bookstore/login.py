"""The docs pages' session login and logout (``/api-auth/``, in place of ``rest_framework.urls``; the same names).

A staff session can do anything, so failed logins are throttled (the ``login`` rate, ``KOKO_API_THROTTLE_LOGIN``,
10 an hour by default): once a username, or a client address (``throttling.client_address``), has that many failed
logins in the current window, every further login for that username or from that address answers **429** with
``Retry-After`` and the form's error — without checking the password, so the right one is no better than a wrong
one until the window ends. Logging out (POST) redirects to the docs (``LOGOUT_REDIRECT_URL``, or a safe ``next``).
"""

from __future__ import annotations

import math

from django.contrib.auth import views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.urls import path

from .throttling import FailureCounter, client_address

app_name = "rest_framework"  # LOGIN_URL and DRF's templates name these views rest_framework:login / :logout

failures = FailureCounter("login")


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many failed logins: try again in %(seconds)d seconds.",
    }
    throttled_for = None  # seconds, when the attempt was refused unchecked

    def _keys(self):
        return [("username", self.cleaned_data.get("username") or ""), ("address", client_address(self.request))]

    def clean(self):
        if "username" not in self.cleaned_data or "password" not in self.cleaned_data:
            return super().clean()  # a missing field: the field's own error, nothing checked
        keys = self._keys()
        wait = failures.refused(keys)
        if wait is not None:
            self.throttled_for = math.ceil(wait)
            raise ValidationError(self.error_messages["throttled"], code="throttled",
                                  params={"seconds": self.throttled_for})
        try:
            return super().clean()
        except ValidationError:
            failures.failed(keys)
            raise


class LoginView(views.LoginView):
    template_name = "rest_framework/login.html"
    authentication_form = ThrottledAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttled_for is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.throttled_for)
        return response


urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
]
