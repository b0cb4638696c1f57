"""URLs of the casework pages (included by ``web.urls`` under the ``web`` namespace)."""

from django.urls import path

from openmash.web.pages import challenges, data_quality, guidance, inbox, people, reviews, triage

urlpatterns = [
    path("triage/", triage.triage_queue_view, name="triage-queue"),
    path("triage/<str:agency>/<str:record_id>/claim/", triage.triage_claim_view, name="triage-claim"),
    path("triage/<str:agency>/<str:record_id>/assign/", triage.triage_assign_view, name="triage-assign"),
    path("triage/<str:agency>/<str:record_id>/decision/", triage.triage_decision_view, name="triage-decision"),
    path("triage/data-quality/", data_quality.data_quality_queue_view, name="data-quality"),
    path("triage/data-quality/<int:task_id>/", data_quality.data_quality_task_view, name="data-quality-task"),
    path("incidents/<str:agency>/<str:record_id>/", people.incident_view, name="incident"),
    path("people/<str:person_id>/", people.person_view, name="person"),
    path("inbox/", inbox.inbox_view, name="inbox"),
    path("inbox/<str:notification_id>/", inbox.notification_view_page, name="notification"),
    path("inbox/<str:notification_id>/acknowledge/", inbox.notification_acknowledge_view,
         name="notification-acknowledge"),
    path("inbox/<str:notification_id>/respond/", inbox.notification_respond_view, name="notification-respond"),
    path("inbox/<str:notification_id>/challenge/", inbox.notification_challenge_view, name="notification-challenge"),
    path("challenges/<int:challenge_id>/resolve/", challenges.challenge_resolve_view, name="challenge-resolve"),
    path("reviews/", reviews.review_queue_view, name="review-queue"),
    path("reviews/<int:review_id>/", reviews.review_view, name="review"),
    path("reviews/merges/<int:event_id>/undo/", reviews.merge_undo_view, name="merge-undo"),
    path("guidance/dash-checklist/", guidance.dash_checklist_view, name="dash-checklist"),
    path("guidance/victim-leaflet/", guidance.victim_leaflet_view, name="victim-leaflet"),
]
