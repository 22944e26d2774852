from rest_framework.routers import SimpleRouter

from .records import CommitmentViewSet, LicenseViewSet, PenaltyViewSet
from .views import SubjectViewSet

router = SimpleRouter()
router.register("subjects", SubjectViewSet, basename="subject")
router.register("licenses", LicenseViewSet, basename="license")
router.register("penalties", PenaltyViewSet, basename="penalty")
router.register("commitments", CommitmentViewSet, basename="commitment")

urlpatterns = router.urls
