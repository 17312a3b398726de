from django.contrib import admin

from .models import ImportedNodeUser


@admin.register(ImportedNodeUser)
class ImportedNodeUserAdmin(admin.ModelAdmin):
    """Read-only: the records are what keeps a second import from importing a row twice."""

    list_display = ["node_id", "node_username", "user", "source", "imported_at"]
    list_filter = ["source"]
    search_fields = ["node_username", "node_email", "user__username"]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
