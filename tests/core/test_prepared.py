"""Prepared reads answer exactly what the ORM answers, and refuse what they cannot keep."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chaperone.core.prepared import PreparedRead, prepared
from chaperone.people.models import Pupil
from chaperone.tenancy.models import School
from tests.factories import PupilFactory, SchoolFactory, TrustFactory

pytestmark = pytest.mark.django_db


def _schools_with_trust(school_ids: tuple[int, ...]) -> QuerySet[School]:
    return School.objects.filter(id__in=school_ids).select_related("trust")


def _pupil_names(school_id: int, born_after: dt.date) -> QuerySet[Pupil]:
    return (
        Pupil.objects.filter(school_id=school_id, date_of_birth__gt=born_after)
        .order_by("last_name")
        .values_list("last_name", flat=True)
    )


def _pupils_per_school(school_ids: tuple[int, ...], name: str) -> QuerySet[Pupil]:
    return (
        Pupil.objects.filter(school_id__in=school_ids)
        .exclude(last_name=name)
        .values("school_id")
        .annotate(n=Count("id"))
        .order_by("school_id")
    )


def _schools_created_before(when: dt.datetime) -> QuerySet[School]:
    return School.objects.filter(created_at__lt=when).values_list("id", flat=True)


def _trust_or_school(trust_id: int, school_id: int) -> QuerySet[School]:
    return School.objects.filter(Q(trust_id=trust_id) | Q(id=school_id)).order_by("id")


def _first_n(n: int) -> QuerySet[School]:
    return School.objects.order_by("id")[:n]


def _ordered_by(field: str) -> QuerySet[School]:
    return School.objects.order_by(field)


@pytest.fixture
def schools() -> list[School]:
    trust = TrustFactory()
    found = [SchoolFactory(trust=trust, name=f"School {i}") for i in range(3)]
    for i, school in enumerate(found):
        for j in range(i + 1):
            PupilFactory(
                school=school, last_name=f"Pupil{i}{j}", date_of_birth=dt.date(2015, 1, j + 1)
            )
    return found


def test_model_instances_with_select_related_match_the_orm(schools) -> None:
    read = PreparedRead(_schools_with_trust)
    for ids in [(schools[0].id,), (schools[0].id, schools[2].id), (schools[1].id,)]:
        got = read(school_ids=ids)
        assert got == list(_schools_with_trust(ids))
        with CaptureQueriesContext(connection) as queries:
            assert all(s.trust.name for s in got)
        assert len(queries) == 0, "the trust came with the school"


def test_sets_are_read_in_order_and_an_empty_tuple_asks_the_orm(schools) -> None:
    read = PreparedRead(_schools_with_trust)
    assert read(school_ids=frozenset(s.id for s in schools)) == schools
    assert read(school_ids=()) == []
    assert read(school_ids=(None,)) == []


def test_values_and_dates_match_the_orm(schools) -> None:
    names = PreparedRead(_pupil_names)
    for school in schools:
        for after in (dt.date(2014, 12, 31), dt.date(2015, 1, 1)):
            assert names(school_id=school.id, born_after=after) == list(
                _pupil_names(school.id, after)
            )
    assert names(school_id=schools[2].id, born_after=dt.date(2015, 1, 1)) == [
        "Pupil21",
        "Pupil22",
    ]
    per_school = PreparedRead(_pupils_per_school)
    ids = tuple(s.id for s in schools)
    assert per_school(school_ids=ids, name="Pupil21") == [
        {"school_id": schools[0].id, "n": 1},
        {"school_id": schools[1].id, "n": 2},
        {"school_id": schools[2].id, "n": 2},
    ]


def test_each_keyword_goes_to_its_own_parameter(schools) -> None:
    """Two integer keywords of one query: the trust's schools or one other school, never the
    other way round (the stand-ins of different keywords once had the same value)."""
    other = SchoolFactory(trust=TrustFactory(), name="Elsewhere")
    read = PreparedRead(_trust_or_school)
    trust_id = schools[0].trust_id
    assert read(trust_id=trust_id, school_id=other.id) == [*schools, other]
    assert read(trust_id=other.trust_id, school_id=schools[1].id) == [schools[1], other]
    assert read(school_id=schools[1].id, trust_id=other.trust_id) == [schools[1], other]


def test_datetimes_match_the_orm(schools) -> None:
    read = PreparedRead(_schools_created_before)
    later = timezone.now() + dt.timedelta(minutes=1)
    assert sorted(read(when=later)) == sorted(s.id for s in schools)
    assert read(when=timezone.now() - dt.timedelta(days=1)) == []


def test_the_second_call_runs_the_kept_sql(schools) -> None:
    read = PreparedRead(_schools_with_trust)
    read(school_ids=(schools[0].id,))
    with CaptureQueriesContext(connection) as queries:
        assert read(school_ids=(schools[1].id,)) == [schools[1]]
    assert len(queries) == 1


def test_a_builder_that_captures_a_value_is_refused(schools) -> None:
    school_id = schools[0].id

    def captured() -> QuerySet[School]:
        return School.objects.filter(id=school_id)

    with pytest.raises(ImproperlyConfigured, match="module-level"):
        PreparedRead(captured)
    with pytest.raises(ImproperlyConfigured, match="module-level"):
        prepared(lambda: School.objects.filter(id=school_id))


def test_a_value_built_into_the_sql_text_is_refused(schools) -> None:
    with pytest.raises(ImproperlyConfigured, match="different SQL"):
        PreparedRead(_first_n)(n=2)
    with pytest.raises(ImproperlyConfigured, match="cannot be prepared"):
        PreparedRead(_ordered_by)(field="name")


def test_a_boolean_value_is_refused(schools) -> None:
    with pytest.raises(ImproperlyConfigured, match="boolean"):
        PreparedRead(_first_n)(n=True)


def _school_ids_by_lower_name(trust_id: int) -> QuerySet[School]:
    # DISTINCT with an ordering outside the select list: the ORM selects the ordering column
    # too and cuts it off each row.
    return (
        School.objects.filter(trust_id=trust_id)
        .values_list("id", flat=True)
        .distinct()
        .order_by(Lower("name"))
    )


def _as_data(rows: list) -> list:
    """Rows as plain data: model instances by their field values (a select_related one too)."""

    def data(row):
        if hasattr(row, "_meta"):
            values = {k: v for k, v in vars(row).items() if k != "_state"}
            cached = row._state.fields_cache
            return (type(row), values, {k: data(v) for k, v in cached.items()})
        return row

    return [data(row) for row in rows]


def test_the_driver_cursor_answers_what_django_s_cursor_answers(schools) -> None:
    """Unwatched, a prepared read fetches on the driver's cursor; watched (query capture, as in
    ``django_assert_num_queries``, or DEBUG) it goes through Django's. Both answer the same."""
    ids = tuple(s.id for s in schools)
    later = timezone.now() + dt.timedelta(minutes=1)
    calls = [
        (PreparedRead(_schools_with_trust), {"school_ids": ids}),
        (PreparedRead(_pupil_names), {"school_id": ids[2], "born_after": dt.date(2014, 1, 1)}),
        (PreparedRead(_pupils_per_school), {"school_ids": ids, "name": "Pupil21"}),
        (PreparedRead(_schools_created_before), {"when": later}),
        (PreparedRead(_school_ids_by_lower_name), {"trust_id": schools[0].trust_id}),
    ]
    for read, values in calls:
        read(**values)  # compiled
        unwatched = read(**values)
        with CaptureQueriesContext(connection) as queries:
            watched = read(**values)
        assert len(queries) == 1
        assert unwatched, read.build.__name__
        assert _as_data(unwatched) == _as_data(watched) == _as_data(list(read.build(**values)))
    assert unwatched == [s.id for s in sorted(schools, key=lambda s: s.name.lower())]


def test_a_prepared_read_is_counted_where_queries_are_counted(
    schools, django_assert_num_queries
) -> None:
    read = PreparedRead(_schools_with_trust)
    read(school_ids=(schools[0].id,))
    with django_assert_num_queries(2):
        read(school_ids=(schools[1].id,))
        read(school_ids=(schools[2].id,))


def test_the_driver_cursor_keeps_django_s_checks_and_errors(schools) -> None:
    read = PreparedRead(_pupil_names)
    read(school_id=schools[0].id, born_after=dt.date(2014, 1, 1))
    with transaction.atomic():
        connection.needs_rollback = True
        with pytest.raises(TransactionManagementError):
            read(school_id=schools[0].id, born_after=dt.date(2014, 1, 1))
        connection.needs_rollback = False
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE people_pupil RENAME TO people_pupil_away")
        with pytest.raises(DatabaseError) as raised:
            read(school_id=schools[0].id, born_after=dt.date(2014, 1, 1))
        assert type(raised.value).__module__ == "django.db.utils"
        transaction.set_rollback(True)
