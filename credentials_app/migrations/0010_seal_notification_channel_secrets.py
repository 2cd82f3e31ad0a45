"""Seal notification channels' URLs and signing secrets; find and keep them unique by a digest of the target.

Needs the keyring only when channels exist; `manage.py migrate` creates the key file of a fresh
install first (key_file.py). Reversed, the plaintext goes back in place.
"""
import hashlib

from django.db import migrations, models

import credentials_app.models.sealed
from credentials_app.models.notifications import public_part


def seal(apps, schema_editor):
    """Write each channel back: the sealed fields seal what is read as plaintext; digest and shown part alongside."""
    Channel = apps.get_model("credentials_app", "NotificationChannel")
    for channel in Channel.objects.all():
        channel.target_digest = hashlib.sha256(channel.target.encode()).hexdigest()
        channel.target_shown = "" if channel.kind == "email" else public_part(channel.target)
        channel.save(update_fields=["target", "signing_secret", "target_digest", "target_shown"])


def open_again(apps, schema_editor):
    """Write each channel's opened values back as plaintext, with SQL: the sealed fields would seal them again."""
    Channel = apps.get_model("credentials_app", "NotificationChannel")
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    rows = [(channel.target, channel.signing_secret, channel.pk.hex if connection.vendor == "sqlite" else channel.pk)
            for channel in Channel.objects.all()]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(Channel._meta.db_table)} SET {quote('target')} = %s, {quote('signing_secret')} = %s "
            f"WHERE {quote('id')} = %s",
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
            field=models.CharField(blank=True, editable=False, max_length=300),
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
