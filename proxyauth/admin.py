from django.contrib import admin

from .models import ExternalIdentity


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    """Also where an administrator links a proxy identity to an existing local account."""

    list_display = ("subject", "provider", "user", "created_at")
    search_fields = ("subject", "user__username", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("created_at",)
