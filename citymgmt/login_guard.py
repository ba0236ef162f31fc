"""Password guessing, at every door: django-axes guards `authenticate()` itself.

Every login (the session login page, the admin, the handset API's token, any door added later)
calls `django.contrib.auth.authenticate(request, …)`, whose first backend is `GuardBackend`, an
`AxesStandaloneBackend`. Failures are counted in the database (axes' AccessAttempt) per username
*and* address together (`AXES_LOCKOUT_PARAMETERS`): a guesser locks only their own address out of
an account, never the account's owner elsewhere.

Axes alone checks the count before the password and adds to it after, so guesses sent at once all
pass the check before any is counted. Here the check and the count are one step: under a lock on
(username, address) — a transaction-scoped advisory lock on PostgreSQL; SQLite's write lock, taken at
BEGIN (transaction_mode IMMEDIATE), serialises it there — the attempt is counted as a failure *before*
the password is checked; `PasswordBackend` (Django's ModelBackend) gives the attempts back when the
password is right. So at most AXES_FAILURE_LIMIT guesses per (username, address) and cool-off ever
reach the password check, however many arrive at once.

Locked out: session pages answer 429 with a page in the user's language (`lockout_response`, via
AxesMiddleware); the API answers 429 `{"error": …}` with Retry-After (the token view asks
`locked_out(request)`).
"""

import hashlib
import logging
import math

from asgiref.sync import sync_to_async
from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied, AxesBackendRequestParameterRequired
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_credentials, get_failure_limit, get_query_str
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router, transaction
from django.db.models import F
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .errors import Throttled, error_body

logger = logging.getLogger("citymgmt.login_guard")


def client_address(request) -> str | None:
    """The address a login attempt is counted against: REMOTE_ADDR only.

    Never a header the client writes (X-Forwarded-For): a guesser would send a new one with each
    guess. Behind a reverse proxy, run daphne with `--proxy-headers` and have the proxy *set*
    X-Forwarded-For to the address it sees (nginx: `proxy_set_header X-Forwarded-For $remote_addr;`),
    so daphne puts the real client's address in REMOTE_ADDR (README, "Behind a proxy")."""
    return request.META.get("REMOTE_ADDR") or None


def cool_off_seconds() -> int:
    return math.ceil(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    minutes = max(1, math.ceil(cool_off_seconds() / 60))
    return _("登录失败次数过多，请 %(m)d 分钟后再试。") % {"m": minutes}


def locked_out(request) -> bool:
    """After a failed `authenticate(request, …)`: was it refused (or did it reach the limit)?"""
    return bool(getattr(request, "axes_locked_out", False))


def throttled() -> Throttled:
    return Throttled(lockout_message(), retry_after=cool_off_seconds())


def lockout_response(request, *args, **kwargs):
    """AXES_LOCKOUT_CALLABLE: what a locked-out login page answers (429), in the user's language."""
    exc = throttled()
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(exc), status=exc.status, json_dumps_params={"ensure_ascii": False})
    else:
        minutes = max(1, math.ceil(cool_off_seconds() / 60))
        response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=exc.status)
    response["Retry-After"] = str(cool_off_seconds())
    return response


def _lock(request, username: str | None) -> None:
    """Serialise attempts on one (username, address) until the end of the current transaction."""
    connection = connections[router.db_for_write(AccessAttempt)]
    if connection.vendor == "postgresql":
        digest = hashlib.sha256(f"{username or ''}\0{request.axes_ip_address or ''}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
    # SQLite: BEGIN IMMEDIATE (settings) already holds the database's write lock.


def _count_attempt(request, username: str | None) -> None:
    """One more failure for this (username, address, user agent), counted before the password check."""
    attempt, created = AccessAttempt.objects.select_for_update().get_or_create(
        username=username,
        ip_address=request.axes_ip_address,
        user_agent=request.axes_user_agent,
        defaults={
            "get_data": get_query_str(request.GET).replace("\0", "0x00")[:1024],
            "post_data": "",  # never the password; the username is in its own column
            "http_accept": request.axes_http_accept,
            "path_info": request.axes_path_info,
            "failures_since_start": 1,
            "attempt_time": request.axes_attempt_time,
        },
    )
    if not created:
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            failures_since_start=F("failures_since_start") + 1,
            attempt_time=request.axes_attempt_time,
            path_info=request.axes_path_info,
            http_accept=request.axes_http_accept,
        )


class GuardBackend(AxesStandaloneBackend):
    """First in AUTHENTICATION_BACKENDS: refuses a locked-out (username, address), and counts every
    other attempt before the password is checked (see the module's docstring)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.AXES_ENABLED:
            return None
        if request is None:
            raise AxesBackendRequestParameterRequired("authenticate() needs the request: guarded per address")
        credentials = get_credentials(username=username, password=password, **kwargs)
        AxesProxyHandler.update_request(request)
        username = get_client_username(request, credentials)
        with transaction.atomic(using=router.db_for_write(AccessAttempt)):
            _lock(request, username)
            AxesProxyHandler.get_implementation().clean_expired_user_attempts(request, credentials)
            if not AxesProxyHandler.is_allowed(request, credentials):
                request.axes_locked_out = True
                kwargs.get("response_context", {})["error"] = lockout_message()
                raise AxesBackendPermissionDenied("locked out: too many failed logins")
            _count_attempt(request, username)
        request.axes_counted = True
        return None  # PasswordBackend checks the password

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        return await sync_to_async(self.authenticate)(request, username=username, password=password, **kwargs)


class PasswordBackend(ModelBackend):
    """Django's username + password check; a right password gives back the attempts counted for it."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and request is not None and getattr(request, "axes_counted", False):
            request.axes_counted = False
            credentials = get_credentials(username=username, password=password, **kwargs)
            AxesProxyHandler.get_implementation().reset_user_attempts(request, credentials)
        return user


class GuardHandler(AxesDatabaseHandler):
    """Axes' database handler, except that a failure GuardBackend has counted is not counted twice."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None or not getattr(request, "axes_counted", False):
            return super().user_login_failed(sender, credentials, request, **kwargs)
        request.axes_counted = False
        username = get_client_username(request, credentials)
        failures = self.get_failures(request, credentials)
        request.axes_failures_since_start = failures
        address = request.axes_ip_address
        logger.warning("login failed: username=%r address=%s failures=%d", (username or "")[:150], address, failures)
        if settings.AXES_LOCK_OUT_AT_FAILURE and failures >= get_failure_limit(request, credentials):
            logger.warning("login locked out: username=%r address=%s", (username or "")[:150], request.axes_ip_address)
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request, username=username, ip_address=request.axes_ip_address)
        return None
