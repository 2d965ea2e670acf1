"""`POST /webhooks/stripe/`: Stripe's events, signature checked (issue 9). A bad or missing
signature is a 400 and nothing is stored; a duplicate is acknowledged and ignored; processing
errors are stored on the event and retried, so Stripe always gets a 200 for a verified event."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing_site.dates import today

from . import gateway
from .services.events import event_receive


@csrf_exempt  # Stripe cannot send a CSRF token: the signature authenticates the request
@require_POST
def stripe_webhook(request):
    try:
        event = gateway.webhook_event(request.body, request.headers.get("Stripe-Signature", ""))
    except gateway.WebhookSignatureError as exc:
        return JsonResponse({"detail": str(exc.message), "code": exc.code}, status=400)
    if not isinstance(getattr(event, "id", None), str) or not isinstance(
            getattr(event, "type", None), str):
        return JsonResponse({"detail": _("The webhook payload is not a Stripe event."),
                             "code": "bad_event"}, status=400)
    stored, created = event_receive(event=event, as_of=today())
    return JsonResponse({"received": True, "duplicate": not created, "status": stored.status})
