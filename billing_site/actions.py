"""Page addresses that only act on a POST (a form's action, issue 13 item 7).

A browser reaches such an address with a GET too: a link copied or bookmarked, the address bar
reloaded after the form was sent, a login's `?next=`. Django's answer would be a blank 405; the
site's is the page the action belongs to (where its form is), with a note that nothing was done.
The API is not concerned: DRF answers its own JSON 405.

One clear answer to a GET (issues 12/13 item 4): an address naming a row (a member, an order, a
document) that does not exist or belongs to another account is a plain 404 page, with no note;
a valid address is a redirect to its page with the note, added once however often the GET is
repeated before the page is seen."""

from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy

SAFE_METHODS = ("GET", "HEAD")


NOTHING_DONE = gettext_lazy("Nothing was done: that address only takes a form sent from this page.")


def note_once(request, text) -> None:
    """Add the info message `text` unless the same text already waits to be shown (a GET
    repeated, or a redirect to a page that did not show it, must not stack copies)."""
    storage = messages.get_messages(request)
    waiting = any(str(message.message) == str(text) for message in storage)
    storage.used = False  # looking at the queued messages must not consume them
    if not waiting:
        messages.info(request, str(text))


def post_only(url_name: str, *, anchor: str = "", url_kwargs: tuple[str, ...] = (),
              exists=None):
    """Decorator of a page view that only acts on a POST. A GET or HEAD is redirected (302) to
    the page named `url_name` — reversed with the view's URL keyword arguments named in
    `url_kwargs`, at `#anchor` (a format string over the same keyword arguments, e.g.
    "member-{member_id}") — and a GET leaves one info message that nothing was done (never a
    second copy). Any other method (PUT, DELETE …) is a 405 that names POST.

    `exists(request, *args, **kwargs) -> bool` — required of a view whose address names a row
    (the tests check it): called with the view's own arguments on a GET or HEAD; False raises
    `Http404` (the 404 page alone, no note), so a missing or another account's id never leads
    to a page with a misleading note.

    Place it below the access decorator (`account_admin_required` …), so that who may not use
    the page is still refused first."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                return view(request, *args, **kwargs)
            if request.method not in SAFE_METHODS:
                return HttpResponseNotAllowed(["POST"])
            if exists is not None and not exists(request, *args, **kwargs):
                raise Http404
            target = reverse(url_name, kwargs={name: kwargs[name] for name in url_kwargs})
            if anchor:
                target += "#" + anchor.format(**kwargs)
            if request.method == "GET":
                note_once(request, NOTHING_DONE)
            return redirect(target)

        wrapper.post_only_target = url_name  # for the tests that list every such view
        wrapper.post_only_checks_ids = exists is not None
        return wrapper

    return decorator
