"""Page addresses that only act on a POST (a form's action, issue 13 item 7).

A browser reaches such an address with a GET too: a link copied or bookmarked, the address bar
reloaded after the form was sent, a login's `?next=`. Django's answer would be a blank 405; the
site's is the page the action belongs to (where its form is), with a note that nothing was done.
The API is not concerned: DRF answers its own JSON 405."""

from functools import wraps

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

SAFE_METHODS = ("GET", "HEAD")


def post_only(url_name: str, *, anchor: str = "", url_kwargs: tuple[str, ...] = ()):
    """Decorator of a page view that only acts on a POST. A GET or HEAD is redirected (302) to
    the page named `url_name` — reversed with the view's URL keyword arguments named in
    `url_kwargs`, at `#anchor` (a format string over the same keyword arguments, e.g.
    "member-{member_id}") — and a GET leaves an info message that nothing was done. Any other
    method (PUT, DELETE …) is a 405 that names POST.

    Place it below the access decorator (`account_admin_required` …), so that who may not use
    the page is still refused first."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                return view(request, *args, **kwargs)
            if request.method not in SAFE_METHODS:
                return HttpResponseNotAllowed(["POST"])
            target = reverse(url_name, kwargs={name: kwargs[name] for name in url_kwargs})
            if anchor:
                target += "#" + anchor.format(**kwargs)
            if request.method == "GET":
                messages.info(request, _("Nothing was done: that address only takes a form sent "
                                         "from this page."))
            return redirect(target)

        wrapper.post_only_target = url_name  # for the tests that list every such view
        return wrapper

    return decorator
