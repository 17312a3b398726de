"""
Passkeys in the Django admin: listed per user (a read-only table on the user's page, each
linking to its own page: an inline formset would make every user form post it) and in their own
list, where an admin can delete them, one or in bulk.
An admin deletion is what a user's is: a notice to the owner's address and a security log line
(naming the admin). Passkeys are never added or edited here: only their owner's authenticator can
make one.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.security import log_event

from .emails import notify
from .models import Passkey

READ_ONLY = ("name", "user", "created_at", "last_used_at", "sign_count", "backed_up", "aaguid", "transports")


def passkeys_table(user):
    """A user's passkeys, read-only, for the user's admin page."""
    passkeys = user.passkeys.all() if user.pk else []
    rows = format_html_join(
        "", '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
        ((reverse("admin:passkeys_passkey_change", args=[p.pk]), p.name, p.created_at, p.last_used_at or "-",
          "synced" if p.backed_up else "this device") for p in passkeys),
    )
    link = format_html(
        '<a href="{}?user__id__exact={}">All passkeys of this user (delete them there)</a>',
        reverse("admin:passkeys_passkey_changelist"), user.pk,
    )
    return format_html(
        "<table><tr><th>name</th><th>added</th><th>last used</th><th>kind</th></tr>{}</table>{}", rows, link,
    )


@admin.register(Passkey)
class PasskeyAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "created_at", "last_used_at", "backed_up")
    list_select_related = ("user",)
    list_filter = ("backed_up",)
    search_fields = ("name", "user__username", "user__email")
    readonly_fields = READ_ONLY
    fields = READ_ONLY

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # view and delete only

    def delete_model(self, request, obj):
        notify("passkey_removed", request, obj)
        log_event("passkey_deleted_by_admin", request, admin=request.user.pk, user=obj.user_id, passkey=obj.pk)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for passkey in queryset.select_related("user"):
            self.delete_model(request, passkey)
