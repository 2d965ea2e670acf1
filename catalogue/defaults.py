"""The default catalogue of SPEC §4 (demo values), shared by the seed migration and the tests.
Ops change prices, limits and the ladder in the admin afterwards; seeding never overwrites them.

The names are marked with `gettext_noop` so that `makemessages` puts them in the catalogue: they are
stored in English and translated on display (`catalogue.models.catalogue_name`)."""

from decimal import Decimal

from django.utils.translation import gettext_noop

D = Decimal

# code: (name, position, storage GB per seat, features, {currency: monthly price per seat})
DEFAULT_PACKAGES = {
    "base": (gettext_noop("Base"), 1, 3, ["contacts", "deals", "email"],
             {"PLN": D("59.00"), "EUR": D("14.00"), "USD": D("15.00"), "CZK": D("340.00")}),
    "automation": (gettext_noop("Automation"), 2, 8, ["contacts", "deals", "email", "automations",
                                        "sequences"],
                   {"PLN": D("119.00"), "EUR": D("28.00"), "USD": D("30.00"),
                    "CZK": D("690.00")}),
    "professional": (gettext_noop("Professional"), 3, 15,
                     ["contacts", "deals", "email", "automations", "sequences",
                      "advanced_reports"],
                     {"PLN": D("179.00"), "EUR": D("42.00"), "USD": D("45.00"),
                      "CZK": D("1040.00")}),
}

# code: (name, units per pack, {currency: monthly price per pack}, {package: (included, cap)})
DEFAULT_ADDONS = {
    "chatbot": (gettext_noop("Chatbot conversations"), 100,
                {"PLN": D("20.00"), "EUR": D("5.00"), "USD": D("5.00"), "CZK": D("115.00")},
                {"base": (100, 500), "automation": (500, 10000),
                 "professional": (500, 10000)}),
}

# (from term months, percent)
DEFAULT_LADDER = [(6, D("5")), (12, D("10")), (24, D("15"))]


def seed_default_catalogue(apps_or_models):
    """Create whatever of the default catalogue is missing. Takes a mapping name → model class
    (historical models from a migration, or the real ones) and leaves existing rows alone."""
    m = apps_or_models
    for code, (name, position, storage, features, prices) in DEFAULT_PACKAGES.items():
        package, _ = m["Package"].objects.get_or_create(
            code=code, defaults={"name": name, "position": position,
                                 "storage_gb_per_seat": storage, "features": features},
        )
        for currency, price in prices.items():
            m["PackagePrice"].objects.get_or_create(
                package=package, currency=currency, defaults={"monthly_price": price}
            )
    for code, (name, pack_size, prices, limits) in DEFAULT_ADDONS.items():
        addon, _ = m["AddOn"].objects.get_or_create(
            code=code, defaults={"name": name, "pack_size": pack_size}
        )
        for currency, price in prices.items():
            m["AddOnPrice"].objects.get_or_create(
                addon=addon, currency=currency, defaults={"monthly_price": price}
            )
        for package_code, (included, cap) in limits.items():
            package = m["Package"].objects.get(code=package_code)
            m["PackageAddOn"].objects.get_or_create(
                package=package, addon=addon, defaults={"included": included, "cap": cap}
            )
    if not m["DiscountRung"].objects.exists():
        for min_months, percent in DEFAULT_LADDER:
            m["DiscountRung"].objects.create(min_months=min_months, percent=percent)


MODEL_NAMES = ["Package", "PackagePrice", "AddOn", "AddOnPrice", "PackageAddOn", "DiscountRung"]


def catalogue_models(apps, label="catalogue"):
    """The catalogue's model classes from an app registry: `django.apps.apps` for the real ones,
    or a migration's historical `apps` (the seed migration ran while they were in `plans`)."""
    return {name: apps.get_model(label, name) for name in MODEL_NAMES}
