"""Naming the accepted values of a choice in a message (issue 12 follow-up): people read the
display names in the active language ("administrator, manager, user"; Polish "administrator,
menedżer, użytkownik"), never the internal codes inside a translated sentence; an API client
also needs the codes it may send ("admin (administrator), manager, user")."""

from collections.abc import Iterable


def choice_labels(choices: Iterable[tuple[object, object]]) -> str:
    """The display names of `choices` ((value, label) pairs, e.g. `MemberRole.choices`) in the
    active language, comma-separated."""
    return ", ".join(str(label) for _value, label in choices)


def accepted_values(choices: Iterable[tuple[object, object]]) -> str:
    """The values of `choices` a program may send, each with its display name in the active
    language when that differs from the value: "admin (administrator), manager, user"."""
    named = []
    for value, label in choices:
        label = str(label)
        named.append(str(value) if label.casefold() == str(value).casefold()
                      else f"{value} ({label})")
    return ", ".join(named)
