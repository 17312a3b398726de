from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.forms import UserCreationForm as DjangoUserCreationForm
from django.db.models import Count

from .models import Role, Session, User
from .security import log_event


def revoke(request, sessions):
    """Revoke ``sessions`` on an admin's behalf; returns how many were live."""
    count = sessions.revoke()
    log_event("session_revoked", request, reason="admin", admin=request.user.pk, sessions=count)
    return count


class UserCreationForm(DjangoUserCreationForm):
    class Meta(DjangoUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "roles")


class UserChangeForm(DjangoUserChangeForm):
    class Meta(DjangoUserChangeForm.Meta):
        model = User


class SessionInline(admin.TabularInline):
    """A user's sign-in sessions, read-only (revoke them with the user list's action)."""

    model = Session
    fields = ("id", "created_at", "last_used_at", "expires_at", "revoked_at", "user_agent")
    readonly_fields = fields
    ordering = ("-created_at",)
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("username", "email", "role_names_display", "is_active", "is_staff", "date_joined")
    list_filter = ("roles", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "email")
    filter_horizontal = ("roles", "groups", "user_permissions")
    inlines = [SessionInline]
    actions = ["revoke_all_sessions"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Roles", {"fields": ("roles",)}),
        (
            "Django admin access",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "password1", "password2", "roles"),
            },
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles")

    @admin.display(description="roles")
    def role_names_display(self, user):
        return ", ".join(role.name for role in user.roles.all())

    @admin.action(description="Revoke all sessions of the selected users")
    def revoke_all_sessions(self, request, queryset):
        count = revoke(request, Session.objects.filter(user__in=list(queryset.values_list("pk", flat=True))))
        self.message_user(request, f"Revoked {count} session(s).")


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "user_count")
    ordering = ("id",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(user_count=Count("users"))

    @admin.display(description="users", ordering="user_count")
    def user_count(self, role):
        return role.user_count


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "created_at", "last_used_at", "expires_at", "revoked_at", "user_agent")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    readonly_fields = ("user", "created_at", "last_used_at", "expires_at", "revoked_at", "user_agent")
    exclude = ("token_digest",)
    actions = ["revoke_sessions"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected sessions")
    def revoke_sessions(self, request, queryset):
        count = revoke(request, queryset)
        self.message_user(request, f"Revoked {count} session(s).")
