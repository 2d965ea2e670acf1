"""REST API for the members of an account (SPEC §3), under /api/v1/accounts/{id}/members/.

Conventions of `seats.api` (scoping, order of checks, one view per operation). Inviting answers
202 with one body for every accepted invitation, whoever owns the address (issue 13).
"""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from billing_site.api import (
    ChoiceField,
    InputSerializer,
    domain_check,
    error_responses,
    no_input,
)
from billing_site.dates import today
from billing_site.inputs import StrictDateField

from . import services
from .api import AccountScopedApi, MemberOutputSerializer
from .invitations import invitation_sent_message
from .models import Invitation, InvitationStatus, MemberRole, MemberState
from .selectors import account_invitations_open, account_members_listed


def _email_format(value) -> None:
    """The service's e-mail rule (`_normalise_email`: DomainError "Enter a valid e-mail
    address."), for an address within the field's `max_length`: a longer one is DRF's to refuse,
    once."""
    if len(value) <= get_user_model()._meta.get_field("username").max_length:
        services._normalise_email(value)


# --- members ------------------------------------------------------------------------------------


class MemberListInviteApi(AccountScopedApi):
    """GET: every member of the account, whatever their state, except invitees who have not
    accepted yet (they are in GET invitations, issues 12/13).
    POST: invite a member; they take a free seat, or a new seat is added."""

    @extend_schema_serializer(component_name="MemberInviteInput")
    class InviteInputSerializer(InputSerializer):
        # the e-mail becomes the username: no longer than that column (else a database error)
        email = serializers.CharField(
            max_length=get_user_model()._meta.get_field("username").max_length,
            # the service's rule, checked here too so that it is reported with the role's
            validators=[domain_check(_email_format)],
        )
        role = ChoiceField(choices=MemberRole.choices)

    @extend_schema(
        operation_id="members_list", tags=["members"],
        responses={200: MemberOutputSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, account_id):
        account = self.get_account(account_id)
        return Response(MemberOutputSerializer(account_members_listed(account), many=True).data)

    @extend_schema_serializer(component_name="MemberInvitation")
    class InvitationOutputSerializer(serializers.Serializer):
        detail = serializers.CharField(help_text="What happened, in the request's language.")
        email = serializers.EmailField(help_text="The address invited, as stored (lower-case).")
        role = ChoiceField(choices=MemberRole.choices)

    @extend_schema(
        operation_id="members_invite", tags=["members"], request=InviteInputSerializer,
        responses={202: InvitationOutputSerializer,
                   **error_responses(400, 401, 403, 404, 409)},
        description=(
            "202 for every accepted invitation, whoever owns the address: an address that "
            "already has a login elsewhere is not added (its owner is e-mailed instead), so the "
            "answer never tells one organisation about another's members. Every accepted "
            "invitation is listed in GET invitations as pending until the invitee sets a "
            "password (then the member is in GET members), the same way whoever owns the "
            "address. 409 `already_invited` while the address has a pending invitation."
        ),
    )
    def post(self, request, account_id):
        account = self.get_account(account_id)
        serializer = self.InviteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email, role = serializer.validated_data["email"], serializer.validated_data["role"]
        services.member_invite(account=account, email=email, role=role, actor=request.user,
                               as_of=today())
        email = email.strip().lower()
        return Response({"detail": invitation_sent_message(email), "email": email, "role": role},
                        status=status.HTTP_202_ACCEPTED)


@extend_schema_serializer(component_name="MemberReleaseInput")
class ReleaseInputSerializer(InputSerializer):
    remove_seat = serializers.BooleanField(
        default=False, help_text="Remove the freed seat too (default false)."
    )
    effective = StrictDateField(
        required=False, allow_null=True,
        help_text="Today (the default) or a later date, at most SCHEDULE_WINDOW_DAYS (365) days "
                  "ahead, when the daily job applies it.",
        validators=[domain_check(
            lambda day: services.member_release_effective_check(day, as_of=today()))],
    )


class MemberReleaseApi(AccountScopedApi):
    """Shared by suspend and delete: they differ only in the state the member goes to."""

    state: str

    def release(self, request, account_id, member_id):
        account = self.get_account(account_id)
        member = self.get_member(account, member_id)
        serializer = ReleaseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = services.member_release(
            account=account, member=member, state=self.state,
            effective=serializer.validated_data.get("effective"),
            remove_seat=serializer.validated_data["remove_seat"],
            actor=request.user, as_of=today(),
        )
        return self.member_response(account, member)


class MemberSuspendApi(MemberReleaseApi):
    """Suspend a member, freeing their seat (optionally removing it), today or later."""

    state = MemberState.SUSPENDED

    @extend_schema(
        operation_id="members_suspend", tags=["members"], request=ReleaseInputSerializer,
        responses={200: MemberOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, account_id, member_id):
        return self.release(request, account_id, member_id)


class MemberDeleteApi(MemberReleaseApi):
    """Delete a member (their login is deactivated), freeing their seat, today or later."""

    state = MemberState.DELETED

    @extend_schema(
        operation_id="members_delete", tags=["members"], request=ReleaseInputSerializer,
        responses={200: MemberOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, account_id, member_id):
        return self.release(request, account_id, member_id)


class MemberRestoreApi(AccountScopedApi):
    """Bring a suspended member back onto a free seat."""

    @extend_schema(
        operation_id="members_restore", tags=["members"], request=None,
        responses={200: MemberOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, account_id, member_id):
        account = self.get_account(account_id)
        member = self.get_member(account, member_id)
        no_input(request)
        member = services.member_restore(
            account=account, member=member, actor=request.user, as_of=today()
        )
        return self.member_response(account, member)


class MemberCancelScheduledApi(AccountScopedApi):
    """Cancel a suspension or deletion scheduled for a later date."""

    @extend_schema(
        operation_id="members_cancel_scheduled", tags=["members"], request=None,
        responses={200: MemberOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, account_id, member_id):
        account = self.get_account(account_id)
        member = self.get_member(account, member_id)
        no_input(request)
        member = services.member_cancel_scheduled(
            account=account, member=member, actor=request.user, as_of=today()
        )
        return self.member_response(account, member)


class MemberRoleApi(AccountScopedApi):
    """Give a member another role (admin, manager or user). Taking the admin role from the
    account's last active administrator is refused (400, code `last_admin`); a deleted member's
    role cannot be changed (400, code `member_deleted`: invite them again with the role)."""

    @extend_schema_serializer(component_name="MemberRoleInput")
    class InputSerializer(InputSerializer):
        role = ChoiceField(choices=MemberRole.choices)

    @extend_schema(
        operation_id="members_role", tags=["members"], request=InputSerializer,
        responses={200: MemberOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, account_id, member_id):
        account = self.get_account(account_id)
        member = self.get_member(account, member_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = services.member_role_change(
            account=account, member=member, role=serializer.validated_data["role"],
            actor=request.user, as_of=today(),
        )
        return self.member_response(account, member)


# --- invitations (issues 12/13) -------------------------------------------------------------------


@extend_schema_serializer(component_name="PendingInvitation")
class PendingInvitationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.CharField(help_text="The address invited (lower-case).")
    role = ChoiceField(choices=MemberRole.choices)
    status = ChoiceField(choices=InvitationStatus.choices)
    invited_on = serializers.DateField(help_text="Business date of the invitation.")
    sent_on = serializers.DateField(help_text="Business date of the last e-mail sent.")


class InvitationListApi(AccountScopedApi):
    """The invitations waiting for the invitee, the same way whoever owns the address."""

    @extend_schema(
        operation_id="invitations_list", tags=["members"],
        responses={200: PendingInvitationOutputSerializer(many=True),
                   **error_responses(401, 403, 404)},
    )
    def get(self, request, account_id):
        account = self.get_account(account_id)
        return Response(PendingInvitationOutputSerializer(account_invitations_open(account),
                                                          many=True).data)


class InvitationActionApi(AccountScopedApi):
    def get_invitation(self, account, invitation_id):
        invitation = Invitation.objects.filter(account=account, pk=invitation_id).first()
        if invitation is None:
            raise NotFound()
        return invitation


class InvitationResendApi(InvitationActionApi):
    """Send a pending invitation's e-mail again (limited per address; the answer is the same)."""

    @extend_schema(
        operation_id="invitations_resend", tags=["members"], request=None,
        responses={200: PendingInvitationOutputSerializer,
                   **error_responses(401, 403, 404, 409)},
    )
    def post(self, request, account_id, invitation_id):
        account = self.get_account(account_id)
        no_input(request)
        invitation = services.invitation_resend(
            account=account, invitation=self.get_invitation(account, invitation_id),
            actor=request.user, as_of=today())
        return Response(PendingInvitationOutputSerializer(invitation).data)


class InvitationCancelApi(InvitationActionApi):
    """Cancel a pending invitation (a seat it took becomes free)."""

    @extend_schema(
        operation_id="invitations_cancel", tags=["members"], request=None,
        responses={200: PendingInvitationOutputSerializer,
                   **error_responses(401, 403, 404, 409)},
    )
    def post(self, request, account_id, invitation_id):
        account = self.get_account(account_id)
        no_input(request)
        invitation = services.invitation_cancel(
            account=account, invitation=self.get_invitation(account, invitation_id),
            actor=request.user, as_of=today())
        return Response(PendingInvitationOutputSerializer(invitation).data)
