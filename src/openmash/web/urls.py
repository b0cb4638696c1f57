from django.urls import include, path

from openmash.web import views

app_name = "web"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-out/", views.sign_out_view, name="sign-out"),
    path("mfa/", views.mfa_view, name="mfa"),
    path("healthz", views.healthz_view, name="healthz"),
    path("", include("openmash.web.pages.urls")),
]
