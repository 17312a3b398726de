"""
The admin's view of second factors: who has one, since when, and the reset for a lost phone
("Reset the second factor of the selected users"), which goes through ``mfa.services.disable``:
the factor and the recovery codes go, the user's sessions end, the owner gets a notice, and the
reset is logged as ``mfa_disabled`` with ``"by": "admin:<staff username>"``. Plain deletion is
not offered: it would skip all of that.
"""

from django.contrib import admin, messages

from . import services
from .models import TOTPDevice


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "confirmed_at", "created_at", "recovery_codes_left"]
    list_filter = [("confirmed_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    fields = ["user", "confirmed_at", "created_at"]
    readonly_fields = fields
    actions = ["reset_second_factor"]

    @admin.display(description="recovery codes left")
    def recovery_codes_left(self, device):
        return device.user.recovery_codes.filter(used_at=None).count()

    @admin.action(description="Reset the second factor of the selected users (lost phone)", permissions=["change"])
    def reset_second_factor(self, request, queryset):
        users = [device.user for device in queryset.select_related("user")]
        for user in users:
            services.disable(request, user, by=f"admin:{request.user.get_username()}")
        self.message_user(
            request, f"Second factor reset for {', '.join(u.username for u in users)}; their sessions were "
            "signed out and they were notified.", messages.SUCCESS,
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
