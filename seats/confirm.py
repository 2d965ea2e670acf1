"""The confirmation step of destructive actions on the Users page (issue 12).

A destructive action (removing seats, suspending or deleting a member, an admin giving up their
own admin role) is a POST that acts only when it carries `confirm=1`. Without it the server does
nothing and answers with a page stating the consequence ("paid until 2026-12-31, no refund",
"you will be logged out at once") whose button posts the same data again with `confirm=1`; so the
step works without JavaScript, and a form posted by an old page or a script never acts by
accident.
"""

from django.shortcuts import render
from django.urls import reverse


def confirmed(request) -> bool:
    return request.POST.get("confirm") == "1"


def confirm_page(request, *, title, consequences, confirm_label, cancel_anchor, danger=True,
                 warning=None):
    """The confirmation step: nothing has been changed; the button re-posts the same form with
    `confirm=1` to the same URL."""
    hidden = [(name, value) for name in request.POST
              for value in request.POST.getlist(name)
              if name not in ("csrfmiddlewaretoken", "confirm")]
    return render(request, "seats/confirm.html", {
        "title": title, "consequences": consequences, "warning": warning,
        "confirm_label": confirm_label, "danger": danger, "hidden": hidden,
        "action": request.path, "cancel_url": reverse("account_users") + f"#{cancel_anchor}",
    })
