"""Response headers of the production security settings (issue 13, item 11).

The Content-Security-Policy itself is django-csp's (settings `CONTENT_SECURITY_POLICY`); this
module adds the Permissions-Policy header, which Django has no setting for, and the one way a view
widens the policy for its own page (the payment page loads Stripe.js from Stripe).
"""

from urllib.parse import urlsplit

from django.conf import settings


class PermissionsPolicyMiddleware:
    """Sends `settings.PERMISSIONS_POLICY` (a mapping feature → allow list, e.g. {"camera": []}
    for "camera=()") as the Permissions-Policy header of every response that has none yet."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy_header(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request):
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response


def permissions_policy_header(policy) -> str:
    """The header value of a {feature: [origins]} mapping: `self` stays a bare token, other
    origins are quoted, an empty list switches the feature off ("geolocation=()")."""
    parts = []
    for feature, allowed in policy.items():
        tokens = [origin if origin in ("self", "*") else f'"{origin}"' for origin in allowed]
        parts.append(f"{feature}=({' '.join(tokens)})")
    return ", ".join(parts)


def origin_of(url: str) -> str:
    """scheme://host[:port] of an absolute URL (what a CSP source list names)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def csp_allow(response, **sources):
    """Widens the Content-Security-Policy of this one response: `csp_allow(response,
    script_src=[...], frame_src=[...])` adds those sources to the site-wide directives (django-csp
    reads the additions from the response, as its `csp_update` decorator does). Returns the
    response."""
    update = dict(getattr(response, "_csp_update", None) or {})
    for name, values in sources.items():
        directive = name.replace("_", "-")
        update[directive] = [*update.get(directive, []), *values]
    response._csp_update = update
    return response
