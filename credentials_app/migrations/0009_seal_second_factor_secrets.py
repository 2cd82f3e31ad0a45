"""Seal the second-factor secrets allauth stored in plaintext before MFA_ADAPTER sealed them.

Needs the keyring only when such secrets exist; `manage.py migrate` creates the key file of a
fresh install first (key_file.py). Reversed, it opens them again, as allauth's default adapter reads them.
"""
from django.db import migrations

from credentials_app.crypto import is_sealed
from credentials_app.signin.sealed_factors import data_with, factor_open, factor_seal

SEALED_TYPES = ("totp", "recovery_codes")


def _change_each(apps, schema_editor, change):
    Authenticator = apps.get_model("mfa", "Authenticator")
    for factor in Authenticator.objects.using(schema_editor.connection.alias).filter(type__in=SEALED_TYPES):
        changed = data_with(factor.data, change)
        if changed != factor.data:
            factor.data = changed
            factor.save(update_fields=["data"])


def seal(apps, schema_editor):
    _change_each(apps, schema_editor, lambda value: value if is_sealed(value) else factor_seal(value))


def open_again(apps, schema_editor):
    _change_each(apps, schema_editor, lambda value: factor_open(value) if is_sealed(value) else value)


class Migration(migrations.Migration):

    dependencies = [
        ("credentials_app", "0008_two_factor_invitations"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(seal, open_again, elidable=False)]
