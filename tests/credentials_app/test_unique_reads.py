"""read_unique gives exactly the instance the ORM gives, on SQLite and PostgreSQL alike."""
import uuid

import pytest
from django.contrib.auth import get_user_model

from credentials_app.models import ApiToken, Credential
from credentials_app.prepared_reads import read_unique, read_unique_joined
from tests.credentials_app.machine_support import USE, make_token

pytestmark = pytest.mark.django_db


def _fields(instance):
    return {field.attname: (getattr(instance, field.attname), type(getattr(instance, field.attname)))
            for field in type(instance)._meta.concrete_fields}


def test_every_field_matches_the_orm_in_value_and_type(credential_factory, user_factory):
    owner = user_factory()
    credential = credential_factory(owner=owner)
    credential.connection_name, credential.machine_reads_allowed = "warehouse_humanitix", True
    credential.save()
    token, _ = make_token(owner, USE)

    for model, field, value in (
        (Credential, "pk", credential.pk),
        (Credential, "pk", str(credential.pk)),  # as a URL gives it
        (Credential, "connection_name", "warehouse_humanitix"),
        (ApiToken, "token_hash", token.token_hash),
        (get_user_model(), "pk", owner.pk),
    ):
        read = read_unique(model, field, value)
        assert _fields(read) == _fields(model.objects.get(**{field: value}))
        assert read._state.adding is False  # saves as an update, like any loaded instance


def test_no_row_is_none(db):
    assert read_unique(Credential, "pk", uuid.uuid4()) is None
    assert read_unique(ApiToken, "token_hash", "0" * 64) is None


def test_only_a_unique_column_can_be_read():
    with pytest.raises(ValueError, match="not unique"):
        read_unique(Credential, "name", "Anything")


def test_a_joined_read_gives_both_rows_as_the_orm_does_in_one_query(
    user_factory, django_assert_num_queries
):
    owner = user_factory()
    token, _ = make_token(owner, USE)

    with django_assert_num_queries(1):
        read, person = read_unique_joined(ApiToken, "token_hash", token.token_hash, "user")

    assert _fields(read) == _fields(ApiToken.objects.get(pk=token.pk))
    assert _fields(person) == _fields(get_user_model().objects.get(pk=owner.pk))
    assert person._state.adding is False
    # Uncounted, the read runs on the driver's own cursor: the same rows come back.
    assert [_fields(each) for each in read_unique_joined(ApiToken, "token_hash", token.token_hash, "user")] == [
        _fields(read), _fields(person)
    ]


def test_a_joined_read_without_the_related_row_gives_none_for_it(user_factory, team_factory):
    """A team token names no person; no token at all gives neither."""
    admin = user_factory()
    team = team_factory("Data", admins=[admin])
    token, _ = make_token(admin, USE, team=team)

    read, person = read_unique_joined(ApiToken, "token_hash", token.token_hash, "user")

    assert read.pk == token.pk and read.user_id is None and person is None
    assert read_unique_joined(ApiToken, "token_hash", "0" * 64, "user") == (None, None)


def test_a_read_with_a_subquery_gives_the_orm_instance_and_the_subquerys_answer(credential_factory, user_factory):
    from django.contrib.auth import get_user_model

    from credentials_app.prepared_reads import Subquery, read_unique_with

    owner = user_factory()
    credential = credential_factory(owner=owner)
    owner_name = Subquery(
        "test-owner-username",
        lambda connection, credential_pk: (
            f"SELECT u.{connection.ops.quote_name('username')} FROM {connection.ops.quote_name('auth_user')} u"
            f" INNER JOIN {connection.ops.quote_name(Credential._meta.db_table)} c ON c.owner_id = u.id"
            f" WHERE c.id = {credential_pk} AND u.id = %s"
        ),
        get_user_model()._meta.pk,
    )

    read, answer = read_unique_with(Credential, "pk", credential.pk, owner_name, owner.pk)

    assert _fields(read) == _fields(Credential.objects.get(pk=credential.pk))
    assert answer == owner.username
    assert read_unique_with(Credential, "pk", credential.pk, owner_name, owner.pk + 1000) == (read, None)
    assert read_unique_with(Credential, "pk", uuid.uuid4(), owner_name, owner.pk) == (None, None)
