import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creditsys.settings")
application = get_wsgi_application()

# Each web worker renders a throwaway credit report as it starts, so that no visitor's first
# report pays for loading WeasyPrint, the fonts and the template (about a second).
from publicity.reports import warm_up  # noqa: E402

warm_up()
