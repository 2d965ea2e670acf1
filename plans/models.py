"""The catalogue: packages (with the pricing issue: prices, add-ons, the discount ladder)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Package(models.Model):
    """A package every seat of an account shares (SPEC §4). `code` is the stable API identifier."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive packages cannot be chosen.")
    )
    # Ordering on price pages: cheapest first.
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("package")
        verbose_name_plural = _("packages")

    def __str__(self):
        return self.name
