from django.urls import path

from . import views

app_name = "publicity"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("subjects/<int:pk>/", views.subject_profile, name="profile"),
    path("subjects/<int:pk>/report.pdf", views.subject_report, name="report"),
    path("verify/", views.verify, name="verify"),
    path("shuanggongshi/penalties/", views.penalties, name="penalties"),
    path("shuanggongshi/licenses/", views.licenses, name="licenses"),
    path("lists/<str:list_type>/", views.list_entries, name="entries"),
    path("measures/", views.measures, name="measures"),
    path("articles/<str:category>/", views.articles, name="articles"),
    path("article/<int:pk>/", views.article_detail, name="article"),
    path("guide/<str:topic>/", views.guide, name="guide"),
    path("apply/objection/", views.apply_objection, name="apply-objection"),
    path("apply/repair/", views.apply_repair, name="apply-repair"),
    path("apply/tip/", views.tip, name="tip"),
    path("apply/status/", views.application_status, name="status"),
]
