from django.urls import path

from openmash.governance import views

app_name = "governance"
urlpatterns = [
    path("people/search/", views.search_view, name="search"),
    path("break-glass/request/<str:token>/", views.break_glass_view, name="break-glass"),
    path("break-glass/<int:pk>/", views.break_glass_granted_view, name="break-glass-granted"),
    path("governance/break-glass/", views.review_queue_view, name="break-glass-reviews"),
    path("governance/break-glass/<int:pk>/", views.review_view, name="break-glass-review"),
    path("governance/messages/", views.messages_view, name="messages"),
    path("governance/audit/", views.audit_reads_view, name="audit-reads"),
    path("governance/partnership/", views.partnership_view, name="partnership"),
    path("governance/subject-access/", views.sar_list_view, name="sars"),
    path("governance/subject-access/<int:pk>/", views.sar_view, name="sar"),
    path("governance/subject-access/<int:pk>/pack/", views.sar_pack_view, name="sar-pack"),
]
