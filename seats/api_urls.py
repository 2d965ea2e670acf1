"""URLs of the seats API, included at /api/v1/ (see `seats.api` for the contract)."""

from django.urls import path

from . import api, api_contracts, api_members

app_name = "seats_api"

urlpatterns = [
    path("accounts/", api.AccountListCreateApi.as_view(), name="accounts"),
    path("accounts/<int:account_id>/", api.AccountDetailApi.as_view(), name="account"),
    path("accounts/<int:account_id>/status/", api.AccountStatusApi.as_view(), name="status"),
    path("accounts/<int:account_id>/seats/", api.SeatListAddApi.as_view(), name="seats"),
    path(
        "accounts/<int:account_id>/seats/<int:seat_id>/",
        api.SeatRemoveApi.as_view(), name="seat",
    ),
    path(
        "accounts/<int:account_id>/seats/<int:seat_id>/assign/",
        api.SeatAssignApi.as_view(), name="seat-assign",
    ),
    path("accounts/<int:account_id>/contract/confirm-seats/",
         api_contracts.ContractSeatsConfirmApi.as_view(), name="contract-confirm-seats"),
    path("accounts/<int:account_id>/members/", api_members.MemberListInviteApi.as_view(),
         name="members"),
    path("accounts/<int:account_id>/invitations/", api_members.InvitationListApi.as_view(),
         name="invitations"),
    path("accounts/<int:account_id>/invitations/<int:invitation_id>/resend/",
         api_members.InvitationResendApi.as_view(), name="invitation-resend"),
    path("accounts/<int:account_id>/invitations/<int:invitation_id>/cancel/",
         api_members.InvitationCancelApi.as_view(), name="invitation-cancel"),
    path(
        "accounts/<int:account_id>/members/<int:member_id>/suspend/",
        api_members.MemberSuspendApi.as_view(), name="member-suspend",
    ),
    path(
        "accounts/<int:account_id>/members/<int:member_id>/delete/",
        api_members.MemberDeleteApi.as_view(), name="member-delete",
    ),
    path(
        "accounts/<int:account_id>/members/<int:member_id>/restore/",
        api_members.MemberRestoreApi.as_view(), name="member-restore",
    ),
    path(
        "accounts/<int:account_id>/members/<int:member_id>/role/",
        api_members.MemberRoleApi.as_view(), name="member-role",
    ),
    path(
        "accounts/<int:account_id>/members/<int:member_id>/cancel-scheduled/",
        api_members.MemberCancelScheduledApi.as_view(), name="member-cancel-scheduled",
    ),
]
