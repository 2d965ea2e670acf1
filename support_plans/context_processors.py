"""Template context of support plans: whether the logged-in member who is not an account admin
is the contact person of their account's support contract, so that the menu offers them the
Support plan page (where they file tickets; issue 14)."""

from billing_site.dates import today

from . import selectors


def support_contact(request):
    member = getattr(request, "member", None)
    if member is None or member.is_admin:
        return {"support_contact_nav": False}
    return {"support_contact_nav": selectors.is_contact(member, today())}
