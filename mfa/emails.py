"""
The second factor's notice mails, composed at delivery from outbox rows (``mail.composers``), to
the account's address; each tells the owner what happened and what to do if it was not them.

| kind                              | sent when                                   |
|-----------------------------------|---------------------------------------------|
| ``mfa_enabled``                   | the authenticator was turned on             |
| ``mfa_disabled``                  | it was turned off (by the owner or an admin) |
| ``mfa_recovery_code_used``        | a recovery code was used (with the count left) |
| ``mfa_recovery_codes_regenerated`` | new recovery codes replaced the old ones   |
"""

from mail.composers import composer, render


def notice(kind, **context):
    @composer(kind)
    def compose(message):
        if not message.to or message.user is None:
            return None
        return render(kind, message.to, user=message.user, **{key: message.data.get(key) for key in context})

    return compose


mfa_enabled = notice("mfa_enabled")
mfa_disabled = notice("mfa_disabled", by_admin=None)
mfa_recovery_code_used = notice("mfa_recovery_code_used", remaining=None)
mfa_recovery_codes_regenerated = notice("mfa_recovery_codes_regenerated")
