"""Settings, all read from the environment (see the configuration table in README.md).

With no configuration the project runs on SQLite with Celery's filesystem broker under ./var, so
anyone can try it; with DATABASE_URL / REDIS_URL it uses PostgreSQL and Redis.
"""

from datetime import date, timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# Working files of the zero-configuration demo (the embedded broker's queue folders)
VAR_DIR = Path(env.str("DEMO_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
# The fallback key only exists so that the zero-configuration demo starts; production sets its own.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-demo-key-set-SECRET_KEY-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_countries",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_celery_results",
    "billing_site.apps.AxesConfig",  # django-axes, with a translated admin name
    "billing_site",
    "catalogue",
    "plans",
    "seats",
    "invoices",
    "payments",
    "dunning",
    "support_plans",
    "demo",
]

MIDDLEWARE = [
    # first: a database that is down answers 503 with a page that needs no database (issue 13)
    "billing_site.outages.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "seats.middleware.MemberAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # last, as django-axes asks: it turns a locked-out login attempt into the lockout page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "billing_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "seats.context_processors.membership",
                "support_plans.context_processors.support_contact",
            ],
        },
    },
]

WSGI_APPLICATION = "billing_site.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share one file in the demo: take the write lock when a transaction
    # starts (IMMEDIATE) and wait for it, instead of failing with "database is locked" when two
    # processes try to upgrade their read locks at once
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
# A connection the database dropped (restart, failover) is found by a health check at the start
# of the next request and replaced, so the web recovers by itself (issue 13, item 13). Keeping
# connections open between requests (DB_CONN_MAX_AGE seconds, 0 = one per request) is optional.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
# Seconds the web tells a client to wait (Retry-After) while the database is unreachable
DATABASE_DOWN_RETRY_AFTER = env.int("DATABASE_DOWN_RETRY_AFTER", default=30)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Deleted members' users are inactive; the login form itself refuses them with the reason
# (seats.access), which the default backend would hide behind a generic error. The login name (an
# e-mail address) is matched ignoring letter case. django-axes' backend comes first: it refuses a
# locked-out login before any password is checked (issue 13); it never logs anyone in itself.
AUTHENTICATION_BACKENDS = ["seats.auth.LockoutBackend", "seats.auth.EmailLoginBackend"]
# The backend that logs people in, for code that calls login() without authenticate()
LOGIN_BACKEND = "seats.auth.EmailLoginBackend"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "media/"
# the runserver/whitenoise pair serves static files without collectstatic in the demo
WHITENOISE_USE_FINDERS = True

# E-mail: console in the demo; EMAIL_URL (e.g. smtp://mailpit:1025) in production-like stacks
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="billing@seat-billing.example")

# Celery: Redis when REDIS_URL is set, otherwise the filesystem transport under ./var (demo only)
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A message a worker took and did not acknowledge (it was killed) goes back to the queue
    # this many seconds after delivery, when a worker starts or polls; it must exceed the longest
    # task and the longest countdown (a message waiting for its ETA is "taken" too), or that
    # message runs twice. The tasks are idempotent; this only bounds the delay (issue 13).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    _queue_dir = str(VAR_DIR / "celery-queue")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _queue_dir,
        "data_folder_out": _queue_dir,
        "control_folder": str(VAR_DIR / "celery-control"),
    }
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
# a running task stores STARTED (with its start time), so ops see it running in the admin
CELERY_TASK_TRACK_STARTED = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves the task for another worker
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# a new worker process renders a sample PDF before its first task (invoices.tasks.rendering,
# 0.6–2.4 s): give it more than Celery's default 4 s to report ready
CELERY_WORKER_PROC_ALIVE_TIMEOUT = 20.0
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Stripe (used from the payments issue on); localstripe in tests and the demo
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")

REST_FRAMEWORK = {
    # DEFAULT_AUTHENTICATION_CLASSES: in the production security block below
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "billing_site.api.exception_handler",
    # the API answers in the language of Accept-Language, English by default (issue 12)
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "billing_site.api_language.LanguageNegotiation",
    # ISO 8601 (date.isoformat): always a 4-digit year; strftime's "%Y" wrote year 1 as "1"
    "DATE_FORMAT": "iso-8601",
    # bodies are checked at the boundary: nesting depth, NUL and lone surrogates (issue 13)
    "DEFAULT_PARSER_CLASSES": [
        "billing_site.inputs.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Seat Billing API",
    "DESCRIPTION": (
        "The API of Seat Billing, per-seat subscription billing for organisations: accounts, "
        "seats and members; packages, add-ons, renewal quotes and orders; payments (card, BLIK, "
        "Przelewy24, bank transfer) and refunds; invoices, pro-formas and corrections with "
        "their PDFs; recurring card payments; the account's status (active, grace, blocked, "
        "suspended) for the product's other services.\n\n"
        "Authenticate with `Authorization: Token <key>` (a token from the API tokens page) or "
        "the site's session. Answers are in the language of `Accept-Language` (English or "
        "Polish; English by default). Every refusal is JSON `{\"detail\": <message>, \"code\": "
        "<stable code>}`, a 400 also with the message under each input field at fault; request "
        "bodies may carry only the fields an operation documents. Requests are throttled per "
        "token and, without one, per IP address (429 with Retry-After)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # request bodies refuse unknown keys (billing_site.api.InputSerializer): the schema says so
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "billing_site.api.strict_request_bodies"],
}

# Deepest nesting of arrays/objects a JSON body may have; deeper ones get a 400 (issue 13)
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)
# Staff may act "as of" another business date (API as_of, ops preview, Run now) only within this
# many years of today, either way: one rule everywhere (billing_site.dates.as_of_window)
AS_OF_WINDOW_YEARS = env.int("AS_OF_WINDOW_YEARS", default=5)
# A change scheduled for later (a member suspended or deleted on an effective date) may be at
# most this many days ahead; a later date is refused with the allowed range (billing_site.dates)
SCHEDULE_WINDOW_DAYS = env.int("SCHEDULE_WINDOW_DAYS", default=365)

# Business settings (defaults of SPEC; ops can change the ones that later live in the admin)
TRIAL_DAYS = env.int("TRIAL_DAYS", default=14)

# The seller printed on every document (SPEC §7)
SELLER = {
    "name": env.str("SELLER_NAME", default="Seat Billing Sp. z o.o."),
    "street": env.str("SELLER_STREET", default="ul. Przykładowa 1"),
    "postal_code": env.str("SELLER_POSTAL_CODE", default="00-001"),
    "city": env.str("SELLER_CITY", default="Warszawa"),
    "country": "PL",
    "tax_id": env.str("SELLER_NIP", default="5260250995"),
    "bank_account": env.str("SELLER_BANK_ACCOUNT",
                            default="PL61 1090 1014 0000 0712 1981 2874"),
    "bank_name": env.str("SELLER_BANK_NAME", default="Santander Bank Polska"),
}
INVOICE_PAYMENT_DAYS = env.int("INVOICE_PAYMENT_DAYS", default=14)
# A pending order (and its pro-forma) can be paid for this many days after it was quoted, the
# quote day excluded, and never past the end of the month it was priced in (prices of lapsed
# seats change with the month); then it expires and a new quote is needed (issue 9).
ORDER_VALIDITY_DAYS = env.int("ORDER_VALIDITY_DAYS", default=7)
# Series formats; {year}, {month} and {seq} are filled in when a document is numbered.
DOCUMENT_NUMBER_FORMATS = {
    "invoice": env.str("INVOICE_NUMBER_FORMAT", default="FV/{year}/{month:02d}/{seq:04d}"),
    "proforma": env.str("PROFORMA_NUMBER_FORMAT", default="PF/{year}/{month:02d}/{seq:04d}"),
    "correction": env.str("CORRECTION_NUMBER_FORMAT",
                          default="KOR/{year}/{month:02d}/{seq:04d}"),
}
# External services (tests point these at local stubs)
NBP_API_URL = env.str("NBP_API_URL", default="https://api.nbp.pl/api")
NBP_TIMEOUT = env.float("NBP_TIMEOUT", default=10)
VIES_API_URL = env.str("VIES_API_URL",
                       default="https://ec.europa.eu/taxation_customs/vies/rest-api")
VIES_TIMEOUT = env.float("VIES_TIMEOUT", default=10)
# KSeF e-invoices (issue 15): sending is on only when the API address, a KSeF token and the
# NIP whose context the token opens are all set; otherwise documents stay "not sent".
# KSEF_API_URL e.g. https://api-test.ksef.mf.gov.pl (the client adds /v2); KSEF_QR_URL is the base
# of the verification links printed on PDFs (default: the one matching the API's environment).
KSEF_API_URL = env.str("KSEF_API_URL", default="")
KSEF_TOKEN = env.str("KSEF_TOKEN", default="")
KSEF_NIP = env.str("KSEF_NIP", default="")
KSEF_QR_URL = env.str("KSEF_QR_URL", default="")
KSEF_TIMEOUT = env.float("KSEF_TIMEOUT", default=30)
# invoices issued before this day are not sent (KSeF became mandatory on 2026-02-01 for the
# largest taxpayers, 2026-04-01 for the others)
KSEF_START_DATE = date.fromisoformat(env.str("KSEF_START_DATE", default="2026-02-01"))

# a page in the site's layout (JSON under /api/) instead of Django's bare one (issue 13)
CSRF_FAILURE_VIEW = "billing_site.error_views.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_refusals": {"()": "billing_site.log_filters.OneLineRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # refusals (4xx) as one line with the reason, no traceback (issue 12, item 10; issue 13):
    # Django's request log, its CSRF refusals and its refusals of oversized requests
    "loggers": {name: {"filters": ["one_line_refusals"]} for name in (
        "django.request", "django.security.csrf", "django.security.RequestDataTooBig",
        "django.security.TooManyFieldsSent", "django.security.TooManyFilesSent")} | {
        # the KSeF client's HTTP library logs every request at INFO (a line a minute per job)
        "httpx": {"level": "WARNING"}},
}

# Absolute base URL of every link in e-mails (invitations, password links, sign-up, notices);
# never the request's Host header, which a client chooses (issue 13)
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")

# --- Production security (issue 13, item 11) ----------------------------------------------------
# The production flag of this block is the scheme of SITE_URL: an https SITE_URL turns on the
# secure cookies, the redirect to https and a year of HSTS; each of them can also be set on its
# own. HSTS for subdomains and preloading are commitments that are hard to undo, so they are never
# implied: docker-compose.yml sets them. The browsable API follows DEBUG (below).
HTTPS = SITE_URL.startswith("https://")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Behind a TLS-terminating proxy that overwrites the header: "HTTP_X_FORWARDED_PROTO,https".
# Never set it without such a proxy: any client could then claim to be on https.
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_ssl_header:
    if len(_proxy_ssl_header) != 2:
        raise ValueError("SECURE_PROXY_SSL_HEADER is a header and a value, e.g. "
                         "HTTP_X_FORWARDED_PROTO,https")
    SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS)

# Content-Security-Policy on every response (django-csp), right after SecurityMiddleware so that
# answers of later middleware (redirects, the blocked-account 403) carry it too. Scripts only from
# this site: no inline scripts or event handlers anywhere (page scripts live in static/js, their
# data in data- attributes). Styles allow 'unsafe-inline': the Django admin and the Swagger page
# have inline <style> blocks, and injected styles cannot run code. The payment page adds Stripe's
# origins for itself (payments.views, billing_site.security.csp_allow).
INSTALLED_APPS += ["csp"]
_security_at = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1
MIDDLEWARE[_security_at:_security_at] = [
    "csp.middleware.CSPMiddleware",
    "billing_site.security.PermissionsPolicyMiddleware",
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],  # Swagger UI's icons are data: URLs
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Browser features no page of this site uses, switched off (billing_site.security)
PERMISSIONS_POLICY = {
    feature: []
    for feature in ("accelerometer", "camera", "geolocation", "gyroscope", "magnetometer",
                    "microphone", "usb")
}
# the Payment Request API (Apple Pay, Google Pay) of Stripe.js's frames on the payment page
PERMISSIONS_POLICY["payment"] = ["self", "https://js.stripe.com"]

# The browsable API is a development aid: off unless DEBUG (or API_BROWSABLE=true).
API_BROWSABLE = env.bool("API_BROWSABLE", default=DEBUG)
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
    "rest_framework.renderers.JSONRenderer",
    *(["rest_framework.renderers.BrowsableAPIRenderer"] if API_BROWSABLE else []),
]
# API tokens (rest_framework.authtoken) of staff logins stop working this many hours after they
# were made; the owner makes a new one on the API tokens page. Members' tokens do not expire.
STAFF_TOKEN_TTL_HOURS = env.int("STAFF_TOKEN_TTL_HOURS", default=8)
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    # billing_site.authentication.ExpiringStaffTokenAuthentication, reading the member with the
    # token's user (issue 16)
    "seats.auth.MemberTokenAuthentication",
    # DRF's session authentication, its CSRF refusal translated and coded "csrf"
    "billing_site.api_auth.SessionAuthentication",
    # last: counts requests nobody authenticated in the anonymous rate, before any 401
    "billing_site.throttling.AnonymousThrottleAuthentication",
]
# the schema documents the two ways to log in, not the counting class above
SPECTACULAR_SETTINGS["AUTHENTICATION_WHITELIST"] = [
    "seats.auth.MemberTokenAuthentication",
    "billing_site.api_auth.SessionAuthentication",
]
# one schema enum for the billing period (seats, plans and the recurring API use the same values);
# without it drf-spectacular's deploy check warns about a name collision
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "BillingPeriodEnum": "seats.models.BillingPeriod",
    # support plans (issue 14): their "channel" and "kind" are not the documents' or payments'
    "SupportTicketChannelEnum": "support_plans.models.TicketChannel",
    "SupportTicketKindEnum": "support_plans.models.TicketKind",
    "SupportTimeChannelEnum": "support_plans.models.TimeChannel",
}
# Shared cache: API throttling and the per-address limits below count in it, so it must be one
# store for every web process — Redis when REDIS_URL is set; the zero-configuration demo keeps
# its counters in files under ./var (shared by its processes, not atomic: demo only).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL, "KEY_PREFIX": "billing-cache"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}

# --- brute-force protection (issue 13) ----------------------------------------------------------
# Login lockout (django-axes) on the members' login page and /admin/login/: after
# AXES_FAILURE_LIMIT wrong passwords for one address from one IP address, that pair is refused
# for AXES_COOLOFF_MINUTES (every attempt during the lockout starts the wait again). Locking the
# address+IP *combination* means an attacker cannot lock a member out of their own login from
# elsewhere (locking by address alone would), and a shared office IP does not lock out everyone
# behind it (locking by IP alone would); the per-IP API throttle and the per-address e-mail
# limits below cover the rest. Ops unlock in the admin (Axes → Access attempts: delete the row)
# or with `manage.py axes_reset` / `axes_reset_username EMAIL` / `axes_reset_ip IP`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_MINUTES = env.int("AXES_COOLOFF_MINUTES", default=15)
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a member who finally types the right password starts afresh
# one address is one login whatever its case (seats.auth): count its failures together
AXES_USERNAME_CALLABLE = "seats.auth.axes_username"
AXES_LOCKOUT_CALLABLE = "seats.views_lockout.lockout_response"
# The client's IP address (billing_site.client_ip): REMOTE_ADDR, or behind TRUSTED_PROXIES
# reverse proxies the address the outermost one saw (X-Forwarded-For); a header a client sends
# directly is never trusted. DRF's throttles read the same number (NUM_PROXIES).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
AXES_CLIENT_IP_CALLABLE = "billing_site.client_ip.client_ip"
AXES_VERBOSE = False  # axes' own banner and per-attempt INFO lines; refusals log one line

# API throttling (DRF): per user (token or session) and per IP address for anonymous callers;
# a scripted client far above what a person or an integration does is answered 429 with
# Retry-After. The counters live in CACHES["default"].
API_THROTTLE_USER_RATE = env.str("API_THROTTLE_USER_RATE", default="600/min")
API_THROTTLE_ANON_RATE = env.str("API_THROTTLE_ANON_RATE", default="60/min")
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "billing_site.throttling.UserThrottle", "billing_site.throttling.AnonThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "user": API_THROTTLE_USER_RATE, "anon": API_THROTTLE_ANON_RATE,
}
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXIES
# Per-address limits on the e-mails anyone can trigger (password reset, invitations) and per-IP
# on sign-up, as (count, seconds). The request over the limit answers exactly like any other
# (so it tells nothing about the address) but sends nothing, and logs one "Rate limited" line.
PASSWORD_RESET_LIMIT = (env.int("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", default=3), 3600)
INVITATION_LIMIT = (env.int("INVITATIONS_PER_ADDRESS_PER_HOUR", default=3), 3600)
SIGNUP_LIMIT = (env.int("SIGNUPS_PER_IP_PER_HOUR", default=10), 3600)
