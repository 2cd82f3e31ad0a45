"""Seal notification channels' URLs and signing secrets; find and keep them unique by a digest of the target.

Needs the keyring only when channels exist; `manage.py migrate` creates the key file of a fresh
install first (key_file.py). Reversed, the plaintext goes back in place; a value whose key is gone
stops the reversal, naming the channel and the key.
"""
import hashlib
from urllib.parse import urlsplit

from django.db import migrations, models

import credentials_app.models.sealed
from credentials_app import crypto


def _shown(url: str) -> str:
    """Return scheme://host[:port]/… of url, as models.notifications.public_part does today."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}{port}/…"


def seal(apps, schema_editor):
    """Write each channel back: the sealed fields seal what is read as plaintext; digest and shown part alongside."""
    Channel = apps.get_model("credentials_app", "NotificationChannel")
    for channel in Channel.objects.using(schema_editor.connection.alias).all():
        channel.target_digest = hashlib.sha256(channel.target.encode()).hexdigest()
        channel.target_shown = "" if channel.kind == "email" else _shown(channel.target)
        channel.save(update_fields=["target", "signing_secret", "target_digest", "target_shown"])


def open_again(apps, schema_editor):
    """Write each channel's opened values back as plaintext, with SQL: the sealed fields would seal them again."""
    Channel = apps.get_model("credentials_app", "NotificationChannel")
    connection = schema_editor.connection
    quote, pk = connection.ops.quote_name, Channel._meta.pk
    rows = []
    for channel in Channel.objects.using(connection.alias).all():
        for value in (channel.target, channel.signing_secret):
            if crypto.is_sealed(value):
                raise RuntimeError(f"Notification channel {channel.pk} does not open with the keyring (key "
                                   f"{crypto.key_id_of(value)}): put the key back, or remove the channel, and retry.")
        rows.append((channel.target, channel.signing_secret, pk.get_db_prep_value(channel.pk, connection)))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(Channel._meta.db_table)} SET {quote('target')} = %s, {quote('signing_secret')} = %s "
            f"WHERE {quote(pk.column)} = %s",
            rows,
        )


class Migration(migrations.Migration):

    dependencies = [
        ("credentials_app", "0009_seal_second_factor_secrets"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="notificationchannel", name="unique_personal_notification_channel"),
        migrations.RemoveConstraint(model_name="notificationchannel", name="unique_team_notification_channel"),
        migrations.AddField(
            model_name="notificationchannel",
            name="target_digest",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notificationchannel",
            name="target_shown",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AlterField(
            model_name="notificationchannel",
            name="target",
            field=credentials_app.models.sealed.SealedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="notificationchannel",
            name="signing_secret",
            field=credentials_app.models.sealed.SealedTextField(blank=True, editable=False),
        ),
        migrations.RunPython(seal, open_again, elidable=False),
        migrations.AddConstraint(
            model_name="notificationchannel",
            constraint=models.UniqueConstraint(
                condition=models.Q(("user__isnull", False)), fields=("user", "kind", "target_digest"),
                name="unique_personal_notification_channel",
            ),
        ),
        migrations.AddConstraint(
            model_name="notificationchannel",
            constraint=models.UniqueConstraint(
                condition=models.Q(("team__isnull", False)), fields=("team", "kind", "target_digest"),
                name="unique_team_notification_channel",
            ),
        ),
    ]
