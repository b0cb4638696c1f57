"""Sign-in, MFA and each role's home page."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from openmash.web.forms import SignInForm, TokenForm
from openmash.web.navigation import ROLE_HEADINGS, ROLE_LINKS, primary_role


class SignInView(auth_views.LoginView):
    template_name = "web/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True


@require_POST
def sign_out_view(request: HttpRequest) -> HttpResponse:
    return auth_views.LogoutView.as_view()(request)


@login_required
def mfa_view(request: HttpRequest) -> HttpResponse:
    """Set up TOTP on first sign-in, then ask for a code on every sign-in."""
    device = TOTPDevice.objects.filter(user=request.user).order_by("-confirmed").first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(settings.LOGIN_REDIRECT_URL)
        form.add_error("token", _("The security code is wrong or has expired"))
    context: dict[str, object] = {"form": form}
    if not device.confirmed:
        image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
        buffer = io.BytesIO()
        image.save(buffer)
        context["qr_svg"] = "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "web/mfa.html", context)


@login_required
def home_view(request: HttpRequest) -> HttpResponse:
    viewer = request.user.as_viewer()  # type: ignore[union-attr]
    role = primary_role(viewer.roles)
    links = [link for r in sorted(viewer.roles) for link in ROLE_LINKS.get(r, [])]
    return render(request, "web/home.html", {
        "heading": ROLE_HEADINGS[role] if role else _("No role yet"),
        "team_name": request.user.team.name if request.user.team else "",  # type: ignore[union-attr]
        "roles": [ROLE_HEADINGS[r] for r in sorted(viewer.roles)],
        "links": links,
    })


def healthz_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
