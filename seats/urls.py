"""Browser pages of the seats app, included at the site root (no namespace: Django's auth views and
`services._send_invitation` reverse the plain names "login" and "password_reset_confirm")."""

from django.contrib.auth import views as auth_views
from django.urls import path

from billing_site.actions import post_only

from . import views, views_contracts, views_signup, views_tokens, views_users
from .forms import InvitedMemberPasswordResetForm
from .models import MemberState

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.MemberLoginView.as_view(), name="login"),
    # POST only (Django's); a GET (a typed or bookmarked address) goes to the start page
    path("logout/", post_only("home")(auth_views.LogoutView.as_view()), name="logout"),
    path("signup/", views_signup.signup, name="signup"),
    path("signup/done/", views_signup.signup_done, name="signup_done"),
    path("signup/confirm/<uidb64>/<token>/", views_signup.signup_confirm, name="signup_confirm"),
    path("signup/resend/", views_signup.signup_resend, name="signup_resend"),
    path("signup/resend/done/", views_signup.signup_resend_done, name="signup_resend_done"),
    path("banner/dismiss/", views.banner_dismiss, name="banner_dismiss"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=InvitedMemberPasswordResetForm),
        name="password_reset",
    ),
    path("password-reset/done/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("reset/<uidb64>/<token>/", views_users.InvitationPasswordSetView.as_view(),
         name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    # Account → API tokens (any login, its own token)
    path("account/api-tokens/", views_tokens.api_tokens_page, name="api_tokens"),
    path("account/api-tokens/new/", views_tokens.api_token_create_view, name="api_token_create"),
    path("account/api-tokens/revoke/", views_tokens.api_token_revoke_view,
         name="api_token_revoke"),
    # Account settings → Users (admins only)
    path("account/users/", views.users_page, name="account_users"),
    path("account/users/seats/add/", views.seats_add, name="account_seats_add"),
    path("account/users/seats/remove/", views_users.seats_remove, name="account_seats_remove"),
    path("account/users/seats/<int:seat_id>/remove/", views.seat_remove,
         name="account_seat_remove"),
    path("account/users/seats/<int:seat_id>/assign/", views.seat_assign,
         name="account_seat_assign"),
    path("account/users/contract/confirm-seats/",
         views_contracts.contract_seats_confirm_view, name="account_contract_confirm_seats"),
    path("account/users/members/invite/", views.member_invite, name="account_member_invite"),
    path("account/users/invitations/<int:invitation_id>/resend/", views_users.invitation_resend,
         name="account_invitation_resend"),
    path("account/users/invitations/<int:invitation_id>/cancel/", views_users.invitation_cancel,
         name="account_invitation_cancel"),
    path("account/users/members/<int:member_id>/suspend/", views.member_release,
         {"state": MemberState.SUSPENDED}, name="account_member_suspend"),
    path("account/users/members/<int:member_id>/delete/", views.member_release,
         {"state": MemberState.DELETED}, name="account_member_delete"),
    path("account/users/members/<int:member_id>/cancel-scheduled/",
         views.member_cancel_scheduled, name="account_member_cancel_scheduled"),
    path("account/users/members/<int:member_id>/role/", views_users.member_role,
         name="account_member_role"),
    path("account/users/members/<int:member_id>/restore/", views.member_restore,
         name="account_member_restore"),
]
