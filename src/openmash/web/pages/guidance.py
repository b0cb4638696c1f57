"""Printable guidance in the interface language: the DASH checklist and the victim information leaflet."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from openmash.casework import dash


@login_required
def dash_checklist_view(request: HttpRequest) -> HttpResponse:
    sections = [(title, [(n, dash.QUESTIONS[n]) for n in numbers]) for title, numbers in dash.SECTIONS]
    return render(request, "casework/dash_checklist.html", {"sections": sections})


@login_required
def victim_leaflet_view(request: HttpRequest) -> HttpResponse:
    return render(request, "casework/victim_leaflet.html")
