"""
The contract's wording: every fixed message the API answers with, in the order of API.md's tables
(API.md is the source; the endpoints it does not list follow its conventions). The strings are
exact and the tests quote them. Code that answers with a message imports it from here, so each
wording is defined once.
"""

# --- Conventions: any endpoint --------------------------------------------------------------------
BAD_REQUEST = "Bad request."
NOT_FOUND = "Not found."
SERVER_ERROR = "Internal server error."
UNAVAILABLE = "Service temporarily unavailable. Please try again shortly."
# DRF's wording with the wait filled in; the schema documents the one-minute case.
THROTTLED_EXAMPLE = "Request was throttled. Expected available in 60 seconds."

# --- POST /api/auth/signup --------------------------------------------------------------------------
SIGNED_UP = "User registered successfully!"
USERNAME_TAKEN = "Failed! Username is already in use!"
EMAIL_TAKEN = "Failed! Email is already in use!"
ROLE_DOES_NOT_EXIST = "Failed! Role does not exist = {name}"
# Also /api/test/admin without the admin role.
REQUIRE_ADMIN_ROLE = "Require Admin Role!"

# --- POST /api/auth/signin --------------------------------------------------------------------------
INVALID_CREDENTIALS = "Invalid username or password!"
EMAIL_NOT_VERIFIED = "Email not verified!"

# --- POST /api/auth/refreshtoken --------------------------------------------------------------------
REFRESH_TOKEN_REQUIRED = "Refresh Token is required!"
REFRESH_TOKEN_UNKNOWN = "Refresh token is not in database!"
REFRESH_TOKEN_EXPIRED = "Refresh token was expired. Please make a new signin request"

# --- POST /api/auth/signout -------------------------------------------------------------------------
SIGNED_OUT = "You've been signed out!"

# --- GET /api/test/*, and every endpoint that needs a token -----------------------------------------
NO_TOKEN = "No token provided!"
UNAUTHORIZED = "Unauthorized!"
ACCESS_TOKEN_EXPIRED = "Unauthorized! Access Token was expired!"
REQUIRE_MODERATOR_ROLE = "Require Moderator Role!"

# --- Cookie mode (AUTH_COOKIES): unsafe requests authenticated by a cookie, sign-in ---------------
ORIGIN_NOT_ALLOWED = "Origin not allowed!"
JSON_REQUIRED = "Content-Type must be application/json!"

# --- /api/auth/sessions, /api/auth/password -------------------------------------------------------
SESSION_REVOKED = "Session revoked."
OLD_PASSWORD_INCORRECT = "Old password is incorrect!"
PASSWORD_CHANGED = "Password changed successfully!"

# --- Recovery: /api/auth/password/forgot, password/reset, email/verify, email -----------------------
RESET_LINK_SENT = "If an account has this email address, a link to reset its password has been sent to it."
LINK_VALID = "The link is valid."
INVALID_LINK = "Invalid or expired link!"
PASSWORD_RESET = "Password reset successfully! Sign in with the new password."
EMAIL_VERIFIED = "Email verified!"
VERIFICATION_SENT = "Verification email sent!"
ALREADY_VERIFIED = "Email already verified!"
EMAIL_CHANGE_SENT = "A confirmation link has been sent to the new email address."
PASSWORD_INCORRECT = "Password is incorrect!"
SAME_EMAIL = "This is already your email address!"

# --- Second factor: /api/auth/signin (password step), signin/mfa, mfa/* -----------------------------
SECOND_FACTOR_REQUIRED = "Second factor required!"
SECOND_FACTOR_SETUP_REQUIRED = "Second factor setup required!"
MFA_TOKEN_INVALID = "Invalid or expired mfaToken!"
MFA_CODE_INVALID = "Invalid code!"
# signin/mfa takes a code or a passkey's assertion (``credential``): exactly one of them.
MFA_CODE_OR_CREDENTIAL_REQUIRED = "Code or credential is required!"
MFA_CODE_AND_CREDENTIAL = "Send a code or a credential, not both!"
SETUP_TOKEN_INVALID = "Invalid or expired setup token!"
TOTP_ENABLED = "Second factor enabled!"
TOTP_DISABLED = "Second factor disabled!"
TOTP_ALREADY_ENABLED = "Second factor already enabled!"
TOTP_NOT_SET_UP = "Set up the second factor first!"
TOTP_NOT_ENABLED = "No second factor enabled!"
PASSWORD_OR_CODE_REQUIRED = "Password or code is required!"
PASSWORD_OR_CODE_INCORRECT = "Password or code is incorrect!"
RECOVERY_CODES_REGENERATED = "New recovery codes: the old ones no longer work."
SETUP_TOKEN_ONLY_FOR_SETUP = "Set up the second factor first: this token is only for setting it up."

# --- OpenID Connect: /api/auth/oidc/... (README's table) ---------------------------------------------
OIDC_INVALID_NEXT = "Invalid next URL!"
OIDC_INVALID_FLOW = "Invalid or expired sign-in attempt!"
OIDC_INVALID_CODE = "Invalid or expired code!"
OIDC_INVALID_LINK_REQUEST = "Invalid or expired link request!"
IDENTITY_UNLINKED = "Identity unlinked."
LAST_WAY_IN = "This identity is the account's last way to sign in!"

# --- Passkeys: /api/auth/passkeys/... (passkeys/) ---------------------------------------------------
PASSKEY_CHALLENGE_INVALID = "Passkey challenge is invalid or expired! Start again."
PASSKEY_REGISTRATION_FAILED = "Passkey could not be verified!"
PASSKEY_ALREADY_REGISTERED = "This passkey is already registered!"
PASSKEY_DELETED = "Passkey deleted."
# Sign-in: one answer whatever failed (unknown credential, signature, origin, counter, challenge),
# passwordless or as the second step of signin/mfa.
PASSKEY_SIGNIN_FAILED = "Passkey sign-in failed!"
