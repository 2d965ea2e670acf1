"""The default catalogue of SPEC §4, shared by the seed migration and the test suite."""

# (code, name, position)
DEFAULT_PACKAGES = [
    ("base", "Base", 1),
    ("automation", "Automation", 2),
    ("professional", "Professional", 3),
]


def seed_default_catalogue(Package):
    """Create the default packages that are missing; `Package` may be a historical model."""
    for code, name, position in DEFAULT_PACKAGES:
        Package.objects.get_or_create(code=code, defaults={"name": name, "position": position})
