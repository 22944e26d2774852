"""Root conftest: settings defaults for the test run (before Django is set up)."""

import os

os.environ.setdefault("DEBUG", "1")  # development keys; pytest-django still runs with DEBUG=False
os.environ.setdefault("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright + live_server
