"""The staff area under /staff/: login plus the staff views each app contributes."""

from django.contrib.auth import views as auth_views
from django.urls import path

from exports.staff import urls as exports_urls
from invitations import staff_urls as invitations_urls
from responses import staff_urls as responses_urls
from surveys import staff_urls as surveys_urls

app_name = "staff"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="staff/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    *surveys_urls.urlpatterns,
    *invitations_urls.urlpatterns,
    *responses_urls.urlpatterns,
    *exports_urls.urlpatterns,
]
