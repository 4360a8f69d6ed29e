from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Zugang"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib import admin

        from accounts.signin import checks, receivers  # noqa: F401  (registers checks, connects audit entries)
        from accounts.signin.views import admin_login

        # The admin has no login of its own: the staff login (throttle, second factor) lets into it.
        admin.site.login = admin_login(admin.site.login)  # type: ignore[method-assign,assignment]
