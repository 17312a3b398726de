import logging
from functools import wraps

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm as DjangoAdminPasswordChangeForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.forms import UserCreationForm as DjangoUserCreationForm
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from rest_framework import exceptions

from authsite.exceptions import ServiceUnavailable, json_error
from passkeys.admin import passkeys_table
from proxyauth.admin import identities_table
from recovery import services as recovery

from .models import Role, Session, User
from .security import log_event
from .throttling import FailedSigninThrottle, SigninIPThrottle, count_request


def revoke(request, sessions):
    """Revoke ``sessions`` on an admin's behalf; returns how many were live."""
    count = sessions.revoke()
    log_event("session_revoked", request, reason="admin", admin=request.user.pk, sessions=count)
    return count


class UserCreationForm(DjangoUserCreationForm):
    class Meta(DjangoUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "roles")


class AdminPasswordChangeForm(DjangoAdminPasswordChangeForm):
    """
    The admin's "change password" form; the change is logged as a ``password_changed`` security
    event (the user's sessions end by themselves: ``Session.password_digest``).
    """

    def save(self, commit=True):
        user = super().save(commit)
        if commit:
            log_event("password_changed", user=user.pk, by="admin", level=logging.INFO)
        return user


class UserChangeForm(DjangoUserChangeForm):
    class Meta(DjangoUserChangeForm.Meta):
        model = User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = (
        "username", "email", "email_verified", "role_names_display", "is_active", "is_staff", "date_joined"
    )
    list_filter = ("roles", "email_verified", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "email")
    filter_horizontal = ("roles", "groups", "user_permissions")
    actions = ["revoke_all_sessions", "send_password_reset"]
    readonly_fields = ("live_sessions", "identities", "passkeys")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email", "email_verified")}),
        ("Roles", {"fields": ("roles",)}),
        (
            "Django admin access",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
        ("Sign-in sessions", {"fields": ("live_sessions",)}),
        ("External identities (proxy, OpenID Connect)", {"fields": ("identities",)}),
        ("Passkeys", {"fields": ("passkeys",)}),
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

    def save_model(self, request, obj, form, change):
        """A new address is unverified, unless the admin ticks "email verified" with it."""
        if change and "email" in form.changed_data and "email_verified" not in form.changed_data:
            obj.email_verified = False
        super().save_model(request, obj, form, change)

    @admin.display(description="roles")
    def role_names_display(self, user):
        return ", ".join(role.name for role in user.roles.all())

    @admin.display(description="identities")
    def identities(self, user):
        return identities_table(user)

    @admin.display(description="passkeys")
    def passkeys(self, user):
        return passkeys_table(user)

    @admin.display(description="live sessions")
    def live_sessions(self, user):
        """The user's live sessions (read-only: a formset would make every user form post it)."""
        sessions = user.sessions.live().order_by("-created_at") if user.pk else []
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (s.pk, s.created_at, s.last_used_at or "-", s.expires_at, s.user_agent or "-")
                for s in sessions
            ),
        )
        link = format_html(
            '<a href="{}?user__id__exact={}">All sessions of this user (revoke them there, or with '
            'the user list\'s "Revoke all sessions" action)</a>',
            reverse("admin:accounts_session_changelist"),
            user.pk,
        )
        return format_html(
            "<table><tr><th>id</th><th>created</th><th>last used</th><th>expires</th>"
            "<th>user agent</th></tr>{}</table>{}",
            rows,
            link,
        )

    @admin.action(description="Revoke all sessions of the selected users")
    def revoke_all_sessions(self, request, queryset):
        count = revoke(request, Session.objects.filter(user__in=list(queryset.values_list("pk", flat=True))))
        self.message_user(request, f"Revoked {count} session(s).")


    @admin.action(description="Send password reset email")
    def send_password_reset(self, request, queryset):
        """Queue a reset link to each selected active user with a usable password (recovery)."""
        sent = 0
        for user in queryset.filter(is_active=True):
            if user.has_usable_password() and user.email:
                recovery.send_password_reset(user)
                sent += 1
        log_event("password_reset_sent", request, admin=request.user.pk, users=sent)
        skipped = queryset.count() - sent
        self.message_user(
            request,
            f"Queued a password reset email to {sent} user(s)."
            + (f" Skipped {skipped} (inactive, no usable password or no email)." if skipped else ""),
        )


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
    list_filter = ("revoked_at", "user")
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


def throttle_signins(login_view):
    """
    The sign-in throttles (per client address, and per account on failures) for a plain Django
    login view that answers a successful POST with a redirect: ``django.contrib.admin``'s. A
    refused attempt gets 429 ``{"message": ...}`` with ``Retry-After``, as on the API.
    """

    @wraps(login_view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return login_view(request, *args, **kwargs)
        account = FailedSigninThrottle(username=request.POST.get("username"))
        # Django's form checks no password unless both fields are filled in: only then can the
        # attempt fail on the account.
        attempts_password = bool(request.POST.get("username") and request.POST.get("password"))
        throttles = [SigninIPThrottle(), account] if attempts_password else [SigninIPThrottle()]
        try:
            refused = count_request(throttles, request)
            if refused is not None:
                wait = refused.wait()
                return json_error(str(exceptions.Throttled(wait).detail), 429, **{"Retry-After": str(wait)})
            response = login_view(request, *args, **kwargs)
            if isinstance(response, HttpResponseRedirect):  # signed in: not a failed attempt
                account.refund(request)
        except ServiceUnavailable as exc:
            return json_error(str(exc.detail), exc.status_code, **{"Retry-After": str(exc.wait)})
        return response

    return wrapper
