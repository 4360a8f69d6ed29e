from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Zugang"
    default_auto_field = "django.db.models.BigAutoField"
