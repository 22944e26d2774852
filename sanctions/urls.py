from django.urls import path

from . import views

app_name = "sanctions"

urlpatterns = [
    path("measures/", views.measure_list, name="measure-list"),
    path("measures/new/", views.measure_create, name="measure-create"),
    path("measures/<int:pk>/", views.measure_detail, name="measure-detail"),
    path("measures/<int:pk>/<str:action>/", views.measure_action, name="measure-action"),
    path("entries/", views.entry_list, name="entry-list"),
    path("entries/new/", views.entry_create, name="entry-create"),
    path("entries/<int:pk>/", views.entry_detail, name="entry-detail"),
    path("entries/<int:pk>/notice/", views.entry_notice, name="entry-notice"),
    path("entries/<int:pk>/<str:action>/", views.entry_action, name="entry-action"),
    path("tasks/", views.task_list, name="task-list"),
    path("tasks/<int:pk>/", views.task_detail, name="task-detail"),
    path("check/", views.check, name="check"),
    path("stats/", views.stats, name="stats"),
    path("stats/export.xlsx", views.stats_export, name="stats-export"),
]
