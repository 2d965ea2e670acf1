"""An unknown payment method is refused naming the accepted methods by their codes and their names
in the active language, never the bare codes inside a translated sentence (issue 12 follow-up)."""

import pytest
from django.utils import translation

from billing_site.errors import DomainError
from payments.services.paying import check_method


@pytest.mark.parametrize(("language", "message"), [
    ("en", "Choose a payment method: card, blik, p24 (Przelewy24), transfer (bank transfer "
           "(pro-forma))."),
    ("pl", "Wybierz metodę płatności: card (karta), blik, p24 (Przelewy24), transfer (przelew "
           "bankowy (pro forma))."),
])
def test_an_unknown_method_names_the_accepted_ones_in_the_active_language(language, message):
    with translation.override(language), pytest.raises(DomainError) as refused:
        check_method("cash", "PLN")
    assert str(refused.value.message) == message
    assert refused.value.field == "method"
