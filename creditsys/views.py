from django.db import connection
from django.http import JsonResponse


def health(request):
    """Liveness and database reachability, for the load balancer and docker-compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        db = "ok"
    except Exception:  # noqa: BLE001 - report, do not raise, from a health probe
        db = "unavailable"
    return JsonResponse(
        {"status": "ok" if db == "ok" else "degraded", "database": db}, status=200 if db == "ok" else 503
    )
