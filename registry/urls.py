from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
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
]
