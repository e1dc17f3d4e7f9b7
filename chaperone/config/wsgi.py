import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chaperone.config.settings.production")
application = get_wsgi_application()

from chaperone.core.runtime import settle_after_start_up  # noqa: E402 (needs Django set up)

settle_after_start_up()
