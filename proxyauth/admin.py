from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from .models import ExternalIdentity


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    """
    Proxy and OpenID Connect identities (``provider`` is the issuer); also where an administrator
    links an identity to an existing local account (only one whose email is verified).
    """

    list_display = ("subject", "provider", "user", "created_at")
    list_filter = ("provider",)
    search_fields = ("subject", "provider", "user__username", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("created_at",)


def identities_table(user):
    """A user's identities (proxy and OpenID Connect), read-only, for the user's admin page."""
    identities = user.external_identities.order_by("created_at") if user.pk else []
    rows = format_html_join(
        "", '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td></tr>',
        ((reverse("admin:proxyauth_externalidentity_change", args=[i.pk]), i.subject, i.provider, i.created_at)
         for i in identities),
    )
    link = format_html(
        '<a href="{}?user__id__exact={}">All identities of this user (unlink them there)</a>',
        reverse("admin:proxyauth_externalidentity_changelist"), user.pk,
    )
    return format_html("<table><tr><th>subject</th><th>issuer</th><th>linked</th></tr>{}</table>{}", rows, link)
