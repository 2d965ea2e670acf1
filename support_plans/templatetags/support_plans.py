"""`{% load support_plans %}`: `{{ minutes|duration }}`, `{{ datetime|moment }}`,
`{{ queue_row|time_left }}` — the filters of `support_plans.presenting`."""

from django import template

from support_plans import presenting

register = template.Library()


@register.filter
def duration(value):
    return presenting.duration(value)


@register.filter
def moment(value):
    return presenting.moment(value)


@register.filter
def time_left(row):
    return presenting.time_left(row)
