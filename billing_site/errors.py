"""The one exception type services raise for a refused operation.

Views show `message` to the person; the API maps it to a 400 (see `billing_site.api`), with the
message under `field` when the error belongs to one input field.
"""


class DomainError(Exception):
    def __init__(self, message, *, code="invalid", field=None, status=400):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.field = field
        self.status = status

    def __str__(self):
        return str(self.message)
