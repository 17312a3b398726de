"""
Composers turn an outbox row into a message at delivery time.

``@composer("kind")`` registers a function ``(OutboxMessage) -> EmailMessage | None``; None means
there is nothing to send (e.g. no account has the address), and the row ends ``skipped``.
``render`` builds a text + HTML message from the templates ``mail/<name>_subject.txt``,
``mail/<name>.txt`` and ``mail/<name>.html`` (override them in a template directory of your own).
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

_composers = {}


def composer(kind):
    def register(function):
        _composers[kind] = function
        return function

    return register


class UnknownKind(Exception):
    pass


def compose(message):
    try:
        function = _composers[message.kind]
    except KeyError:
        raise UnknownKind(f"no composer for {message.kind!r}") from None
    return function(message)


def render(name, to, **context):
    """A text message with an HTML alternative, from ``name``'s three templates."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"mail/{name}_subject.txt", context).split())
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"mail/{name}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    email.attach_alternative(render_to_string(f"mail/{name}.html", context), "text/html")
    return email
