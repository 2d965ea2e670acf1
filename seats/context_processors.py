"""Template context shared by every page: the member, their account, the menu section and the
expiry banner (from the access decision the middleware made, without a query of its own)."""

from billing_site.dates import today

from .banners import banner_for

# url name prefix → menu section it belongs to (first match wins)
NAV_SECTIONS = [
    ("account_support", "support"),
    ("account_", "users"),
    ("payments_invoice_data", "invoice_data"),
    ("payments_history", "history"),
    ("payments_document", "history"),
    ("payments_", "renew"),
    ("package_change", "package"),
    ("finance_", "finance"),
]


def membership(request):
    member = getattr(request, "member", None)
    match = getattr(request, "resolver_match", None)
    name = (match.url_name or "") if match else ""
    section = next((sec for prefix, sec in NAV_SECTIONS if name.startswith(prefix)), "")
    user = getattr(request, "user", None)
    is_finance = bool(
        user is not None and user.is_authenticated and user.is_staff
        and (user.is_superuser or user.groups.filter(name="finance").exists())
    )
    # support staff (the group "support" by name, as support_plans.views_common.is_support)
    is_support = bool(
        user is not None and user.is_authenticated and user.is_staff
        and (user.is_superuser or user.groups.filter(name="support").exists())
    )
    access = getattr(request, "access", None)
    banner = banner_for(access, today()) if access is not None else None
    if banner is not None and banner.dismissible and hasattr(request, "session") \
            and request.session.get("banner_dismissed") == banner.key:
        banner = None
    return {"member": member, "current_account": member.account if member else None,
            "nav_section": section, "is_finance": is_finance, "is_support": is_support,
            "expiry_banner": banner,
            "billing_only": bool(access is not None and access.billing_only)}
