"""Note each proof of identity in the session, and audit each change to a person's second factors."""
from allauth.account.signals import authentication_step_completed
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from credentials_app import events
from credentials_app.models import AuditEvent
from credentials_app.signin import sso  # noqa: F401  (registers the teams-from-groups receiver)
from credentials_app.signin.enforcement import must_enrol
from credentials_app.signin.proof import proof_record
from credentials_app.signin.sessions import session_record

Action = AuditEvent.Action


@receiver(user_logged_in, dispatch_uid="signin_proof_at_login")
def _proof_at_login(sender, request, user, **kwargs):
    # Sent once every step of signing in is done (password, then the second factor if any).
    if request is not None and hasattr(request, "session"):
        proof_record(request)
        # Recorded for the Sessions page now, while the session is being written anyway (allauth
        # records only its own sign-ins; the setup page and invitations sign in through Django's),
        # and so is whether they must enrol: the next pages need neither for a minute.
        session_record(request, user=user)
        must_enrol(session=request.session, user=user)


@receiver(authentication_step_completed, dispatch_uid="signin_proof_at_second_look")
def _proof_at_second_look(sender, request, reauthenticated=False, **kwargs):
    if reauthenticated:
        proof_record(request)


@receiver(mfa_signals.authenticator_added, dispatch_uid="signin_audit_added")
def _added(sender, request, user, authenticator, **kwargs):
    if authenticator.type != Authenticator.Type.RECOVERY_CODES:
        events.two_factor_changed(user=user, action=Action.TWO_FACTOR_ADDED, kind=authenticator.get_type_display())


@receiver(mfa_signals.authenticator_removed, dispatch_uid="signin_audit_removed")
def _removed(sender, request, user, authenticator, **kwargs):
    events.two_factor_changed(user=user, action=Action.TWO_FACTOR_REMOVED, kind=authenticator.get_type_display())


@receiver(mfa_signals.authenticator_reset, dispatch_uid="signin_audit_reset")
def _reset(sender, request, user, authenticator, **kwargs):
    events.two_factor_changed(user=user, action=Action.RECOVERY_CODES_RENEWED)


@receiver(mfa_signals.authenticator_used, dispatch_uid="signin_audit_used")
def _used(sender, request, user, authenticator, **kwargs):
    # A recovery code stands for a lost device: each use is audited. App codes and passkeys are routine.
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        events.two_factor_changed(user=user, action=Action.RECOVERY_CODE_USED)
