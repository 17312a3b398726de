"""
Passkeys in the Django admin: listed per user (an inline on the user's page, read-only, each
linking to its own page) and in their own list, where an admin can delete them, one or in bulk.
An admin deletion is what a user's is: a notice to the owner's address and a security log line
(naming the admin). Passkeys are never added or edited here: only their owner's authenticator can
make one.
"""

from django.contrib import admin

from accounts.security import log_event

from .emails import notify
from .models import Passkey

READ_ONLY = ("name", "user", "created_at", "last_used_at", "sign_count", "backed_up", "aaguid", "transports")


class PasskeyInline(admin.TabularInline):
    model = Passkey
    fields = ("name", "created_at", "last_used_at", "sign_count", "backed_up")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "passkeys (delete one from its own page)"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Passkey)
class PasskeyAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "created_at", "last_used_at", "backed_up")
    list_select_related = ("user",)
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
