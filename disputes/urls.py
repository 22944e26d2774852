from django.urls import path

from . import views

app_name = "disputes"

urlpatterns = [
    path("objections/", views.objection_list, name="objection-list"),
    path("objections/new/", views.objection_create, name="objection-create"),
    path("objections/<int:pk>/", views.objection_detail, name="objection-detail"),
    path("repairs/", views.repair_list, name="repair-list"),
    path("repairs/new/", views.repair_create, name="repair-create"),
    path("repairs/<int:pk>/", views.repair_detail, name="repair-detail"),
    path("overdue/", views.overdue, name="overdue"),
    path("inbox/", views.inbox, name="inbox"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
