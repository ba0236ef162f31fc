"""Tokens for handsets: log in, see who I am, log out (revoke the token in use)."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from citymgmt import login_guard
from citymgmt.errors import NotAuthenticated

from ..authentication import TokenAuthentication
from ..models import ApiToken
from ..schema import errors
from ..serializers import LoginSerializer, TokenSerializer, UserSerializer
from ..users import user_info


class TokenView(APIView):
    """POST logs in (no authentication needed), DELETE revokes the token the request carries."""

    # Token only: a browser's console session must not make the login form need a CSRF token.
    authentication_classes = [TokenAuthentication]

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def perform_authentication(self, request):
        if request.method != "POST":  # a stale token must not stop someone logging in again
            super().perform_authentication(request)

    @extend_schema(
        operation_id="auth_token_create",
        request=LoginSerializer,
        responses={200: TokenSerializer, **errors(400, 401, 429)},
        auth=[],
        summary="Log in: a token for `Authorization: Token <token>`",
    )
    def post(self, request):
        body = LoginSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        username, password = body.validated_data["username"], body.validated_data["password"]
        # The request goes in: django-axes (first backend) counts and refuses per username + address.
        user = authenticate(request, username=username, password=password)
        if user is None:
            if login_guard.locked_out(request):
                raise login_guard.throttled()
            raise NotAuthenticated(_("用户名或密码错误。"))
        token, raw = ApiToken.issue(user)
        return Response({"token": raw, "expires_at": token.expires_at, "user": user_info(user)})

    @extend_schema(
        operation_id="auth_token_destroy",
        request=None,
        responses={204: OpenApiResponse(description="revoked"), **errors(401)},
        summary="Log out: revoke the token this request carries",
    )
    def delete(self, request):
        request.auth.revoke()
        return Response(status=204)


class MeView(APIView):
    @extend_schema(responses={200: UserSerializer, **errors(401)}, summary="The signed-in user")
    def get(self, request):
        return Response(user_info(request.user))
