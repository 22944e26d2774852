"""Root conftest: environment for the test run (settings see ``TESTING`` and use development keys)."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright + live_server
