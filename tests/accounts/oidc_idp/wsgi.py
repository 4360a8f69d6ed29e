import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.accounts.oidc_idp.settings")
application = get_wsgi_application()
