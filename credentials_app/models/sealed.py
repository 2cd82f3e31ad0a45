"""A text column stored sealed under the keyring, and read back as plaintext: for secrets other than credential keys."""
from collections import Counter

from django.db import connection, models, transaction
from django.views.decorators.debug import sensitive_variables

from credentials_app import crypto


class SealedTextField(models.TextField):
    """Text sealed under the primary key when written (crypto.encrypt), opened when read; "" stays "".

    Each value is bound to its table and column as associated data (not to its row), so a sealed
    value copied into another sealed column does not open. A value that does not open (its key gone
    from the keyring) is read as it is stored, so the row still loads: crypto.is_sealed() tells, a
    caller refuses to use it, and saving it keeps it as it is. Lookups other than on "" never match
    (each seal is new): keep a digest beside it.
    """

    def purpose(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    @sensitive_variables()
    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value or crypto.is_sealed(value):  # a value read but not opened is written back as it was
            return value
        return crypto.encrypt(value, associated_data=self.purpose())

    @sensitive_variables()
    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        try:
            return crypto.decrypt(value, associated_data=self.purpose())
        except (crypto.SecretUnavailable, crypto.KeyringError):
            return value


# --- Rows with sealed columns, for key rotation and the keyring's checks ----------------------------


def sealed_fields(model) -> list[models.Field]:
    """Return model's SealedTextFields."""
    return [field for field in model._meta.concrete_fields if isinstance(field, SealedTextField)]


def stored_sealed(model) -> list[tuple[object, dict[models.Field, str]]]:
    """Return (primary key as the database holds it, {field: value as stored}) for every row of model.

    Return none before model's table exists: an upgrade's checks run before its migrations.
    """
    if model._meta.db_table not in connection.introspection.table_names():
        return []
    fields, quote = sealed_fields(model), connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in [model._meta.pk, *fields])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {quote(model._meta.db_table)}")
        return [(row[0], dict(zip(fields, row[1:]))) for row in cursor.fetchall()]


def stored_values(model) -> list[list[str]]:
    """Return, for each row of model, its sealed columns' values as stored."""
    return [list(values.values()) for _, values in stored_sealed(model)]


def rows_reseal(model, *, unreadable: Counter) -> tuple[int, Counter]:
    """Seal every row of model not wholly under the primary key again; return how many changed, by former key id.

    A row whose values do not open is left as it is and counted in unreadable, by reason. Each row is
    locked while it is re-sealed, so a change made meanwhile is not undone.
    """
    changed, former = 0, Counter()
    for pk, values in stored_sealed(model):
        stale = crypto.stale(values.values())
        if not stale:
            continue
        with transaction.atomic():
            row = model.objects.select_for_update().filter(pk=pk).first()
            if row is None:
                continue
            fields = sealed_fields(model)
            unopened = [(field, getattr(row, field.attname)) for field in fields
                        if crypto.is_sealed(getattr(row, field.attname))]
            if unopened:
                field, value = unopened[0]
                try:
                    crypto.decrypt(value, associated_data=field.purpose())
                except crypto.SecretUnavailable as error:
                    unreadable[str(error)] += 1
                continue
            row.save(update_fields=[field.name for field in fields])
            changed += 1
            former.update({crypto.sealed_by(value) for value in stale})
    return changed, former
