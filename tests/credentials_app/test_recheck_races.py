"""A re-check's verdict lands only on the key it checked, and never on a credential that is gone."""
import pytest

from connectors.base import Outcome, ValidationResult
from connectors.sandbox import keys
from credentials_app.services.bulk_recheck import BulkChecker
from credentials_app.models import AuditEvent, Credential
from credentials_app.services.credentials import credential_record_check, credential_replace_key

pytestmark = pytest.mark.django_db
REJECTED = ValidationResult(Outcome.REJECTED, "Humanitix rejected the key (Invalid API Key).", 401)


def test_verdict_on_the_old_key_is_not_stored_on_a_key_replaced_meanwhile(credential_factory, sandbox):
    """Humanitix kills the old key when a new one is made: its "Rejected" must not stick to the new key."""
    credential = credential_factory(key=keys.REJECTED, status=Credential.Status.VERIFIED)
    checked_secret = credential.secret  # a re-check starts with the old key...
    credential_replace_key(credential=Credential.objects.get(pk=credential.pk), key=keys.VALID, actor=None)

    stored = credential_record_check(credential=credential, result=REJECTED, actor=None, checked_secret=checked_secret)

    assert stored is False
    fresh = Credential.objects.get(pk=credential.pk)
    assert fresh.status == Credential.Status.VERIFIED
    assert fresh.decrypt_key() == keys.VALID
    assert not AuditEvent.objects.filter(credential=credential, action=AuditEvent.Action.CHECKED).exists()


def test_bulk_check_skips_a_credential_deleted_during_the_run_and_stores_the_rest(credential_factory, sandbox):
    owner = credential_factory().owner
    kept = credential_factory(owner=owner, key=keys.REJECTED, status=Credential.Status.VERIFIED)
    doomed = credential_factory(owner=owner, key=keys.REJECTED, status=Credential.Status.VERIFIED)
    Credential.objects.exclude(pk__in=[kept.pk, doomed.pk]).delete()
    credentials = list(Credential.objects.filter(pk__in=[kept.pk, doomed.pk]))

    def delete_doomed(credential, result):
        Credential.objects.filter(pk=doomed.pk).delete()

    counts = BulkChecker().run(credentials, on_result=delete_doomed)

    assert counts[Outcome.REJECTED] == 2
    assert Credential.objects.get(pk=kept.pk).status == Credential.Status.REJECTED
    assert not Credential.objects.filter(pk=doomed.pk).exists()


def test_could_not_check_never_writes_back_a_status_read_before_the_check(credential_factory, sandbox):
    """A bulk run loaded "Not verified"; a newer verdict landed meanwhile; its failed check keeps that verdict."""
    credential = credential_factory(key=keys.VALID, status=Credential.Status.NOT_VERIFIED)
    loaded = Credential.objects.get(pk=credential.pk)
    Credential.objects.filter(pk=credential.pk).update(status=Credential.Status.VERIFIED)
    failed = ValidationResult(Outcome.COULD_NOT_CHECK, "Humanitix had a server error (HTTP 503).", 503)

    assert credential_record_check(credential=loaded, result=failed, actor=None, checked_secret=loaded.secret)

    fresh = Credential.objects.get(pk=credential.pk)
    assert fresh.status == Credential.Status.VERIFIED
    assert fresh.status_message == failed.message
