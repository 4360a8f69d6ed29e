from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Zugang"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.decorators import secure_admin_login
        from django.contrib import admin

        from accounts.signin import receivers  # noqa: F401  (connects the sign-in audit entries)

        # The admin has no login of its own: the staff login (throttle, second factor) lets into it.
        admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
