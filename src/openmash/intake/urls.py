"""Intake's HTTP API (included under ``/api/v1/`` by the project URL map)."""

from django.urls import path

from openmash.intake.api import RecordsView

app_name = "intake"
urlpatterns = [
    path("records", RecordsView.as_view(), name="records"),
]
