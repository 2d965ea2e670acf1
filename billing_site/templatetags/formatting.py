"""`{% load formatting %}`: `{{ value|money:currency }}`, `{{ value|amount }}`,
`{{ value|percent }}`, `{{ value|day }}`, `{{ address|email }}`, `{{ "2026-12"|month }}` —
the filters of `billing_site.formatting`."""

from django import template

from billing_site import formatting

register = template.Library()


@register.filter
def money(value, currency=None):
    return formatting.money(value, currency)


@register.filter
def amount(value):
    return formatting.amount(value)


@register.filter
def percent(value):
    return formatting.percent(value)


@register.filter
def email(value):
    return formatting.email(value)


@register.filter
def month(value):
    return formatting.month(value)


@register.filter
def day(value):
    return formatting.day(value)
