from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ChangesView, CheckBatchView, CheckView, ListEntryViewSet, MeasureViewSet, TaskViewSet

router = SimpleRouter()
router.register("list-entries", ListEntryViewSet, basename="list-entry")
router.register("measures", MeasureViewSet, basename="measure")
router.register("tasks", TaskViewSet, basename="task")

urlpatterns = [
    path("check/", CheckView.as_view(), name="check"),
    path("check/batch/", CheckBatchView.as_view(), name="check-batch"),
    path("changes/", ChangesView.as_view(), name="changes"),
    *router.urls,
]
