from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_records
from .forms import ThrottledLoginForm

app_name = "registry"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="workbench/login.html", authentication_form=ThrottledLoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("subjects/", views.subject_list, name="subject-list"),
    path("subjects/new/", views.subject_create, name="subject-create"),
    path("subjects/<int:pk>/", views.subject_detail, name="subject-detail"),
    path("subjects/<int:pk>/edit/", views.subject_edit, name="subject-edit"),
    path("subjects/<int:pk>/codes/", views.subject_code_add, name="subject-code-add"),
    path("subjects/<int:pk>/relations/", views.relation_add, name="relation-add"),
    path("subjects/<int:pk>/reveal/", views.reveal_id_number, name="subject-reveal"),
    # 双公示 records, commitments, imports (issue 3)
    path("records/<str:kind>/", views_records.record_list, name="record-list"),
    path("records/<str:kind>/new/", views_records.record_create, name="record-create"),
    path("records/<str:kind>/<int:pk>/", views_records.record_detail, name="record-detail"),
    path("records/<str:kind>/<int:pk>/correct/", views_records.record_correct, name="record-correct"),
    path("records/<str:kind>/<int:pk>/withdraw/", views_records.record_withdraw, name="record-withdraw"),
    path("penalties/<int:pk>/repair-notice/", views_records.repair_notice, name="repair-notice"),
    path("commitments/", views_records.commitment_list, name="commitment-list"),
    path("commitments/new/", views_records.commitment_create, name="commitment-create"),
    path("commitments/<int:pk>/status/", views_records.commitment_status, name="commitment-status"),
    path("imports/", views_records.import_page, name="import"),
    path("imports/<int:pk>/", views_records.import_job, name="import-job"),
    path("imports/<int:pk>/errors/", views_records.import_error_report, name="import-errors"),
    path("imports/template/<str:kind>.<str:fmt>", views_records.import_template, name="import-template"),
]
