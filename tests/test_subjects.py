from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from creditsys.audit import verify_chain
from creditsys.models import AuditEvent
from registry import services
from registry.demo import make_id_number, make_uscc
from registry.models import Subject, SubjectName
from registry.scoping import scope_for_user
from registry.selectors import subject_by_code

pytestmark = pytest.mark.django_db


def test_create_organisation_normalises_code_and_audits(clerk_a, city):
    uscc = make_uscc("9", "1", "540400", 4242)
    subject = services.subject_create(
        scope=scope_for_user(clerk_a),
        kind=Subject.Kind.ORGANIZATION,
        name="林芝雪域建筑工程有限公司",
        uscc=" " + uscc.lower()[:9] + " " + uscc[9:],
        region=city,
    )
    assert subject.uscc == uscc
    assert subject.managing_department == clerk_a.department
    event = AuditEvent.objects.get(object_type="registry.subject", action="create")
    assert event.subject_id == subject.pk and event.actor == "pytest"
    assert "name_grams" not in event.after


def test_person_id_number_never_stored_in_clear(clerk_a, city):
    number = make_id_number("540402", date(1980, 5, 17), 31)
    person = services.subject_create(
        scope=scope_for_user(clerk_a), kind=Subject.Kind.NATURAL_PERSON, name="次仁", id_number=number, region=city
    )
    person.refresh_from_db()
    stored = [str(getattr(person, f.attname)) for f in Subject._meta.concrete_fields]
    assert all(number not in value for value in stored)
    assert person.id_number_masked == number[:6] + "********" + number[-4:]
    assert person.reveal_id_number() == number
    assert subject_by_code(number) == person
    assert number not in str(AuditEvent.objects.get(subject_id=person.pk).after)


def test_invalid_codes_give_field_errors_and_save_nothing(clerk_a, city):
    with pytest.raises(ValidationError) as exc:
        services.subject_create(
            scope=scope_for_user(clerk_a),
            kind=Subject.Kind.ORGANIZATION,
            name="X",
            uscc="91540400MA6T0G9K2Y",
            region=city,
        )
    assert "uscc" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.subject_create(
            scope=scope_for_user(clerk_a), kind=Subject.Kind.NATURAL_PERSON, name="", id_number="123", region=city
        )
    assert set(exc.value.message_dict) == {"name", "id_number"}
    assert Subject.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_duplicate_code_rejected(make_subject, clerk_a, city):
    existing = make_subject()
    with pytest.raises(ValidationError) as exc:
        services.subject_create(
            scope=scope_for_user(clerk_a),
            kind=Subject.Kind.ORGANIZATION,
            name="另一家",
            uscc=existing.uscc,
            region=city,
        )
    assert "已登记" in exc.value.message_dict["uscc"][0]


def test_rename_keeps_former_name_and_diff(make_subject, clerk_a):
    subject = make_subject("林芝雪域商贸有限公司")
    services.subject_update(scope=scope_for_user(clerk_a), subject=subject, name="林芝高原商贸有限公司", reason="更名")
    assert list(SubjectName.objects.filter(subject=subject).values_list("name", flat=True)) == ["林芝雪域商贸有限公司"]
    event = AuditEvent.objects.filter(subject_id=subject.pk, action="update").get()
    assert event.before == {"name": "林芝雪域商贸有限公司"} and event.after == {"name": "林芝高原商贸有限公司"}
    assert event.reason == "更名"


def test_clerk_cannot_change_other_departments_subject(make_subject, clerk_b):
    subject = make_subject()  # maintained by dept_a
    with pytest.raises(PermissionDenied):
        services.subject_update(scope=scope_for_user(clerk_b), subject=subject, address="别处")


def test_county_coordinator_limited_to_region(make_subject, county_coordinator, county, other_county):
    inside = make_subject("巴宜区某某公司", region=county)
    outside = make_subject("工布江达县某某公司", region=other_county)
    scope = scope_for_user(county_coordinator)
    services.subject_update(scope=scope, subject=inside, address="八一镇")
    with pytest.raises(PermissionDenied):
        services.subject_update(scope=scope, subject=outside, address="x")


def test_relation_to_answerable_person(make_subject, clerk_a):
    org = make_subject()
    number = make_id_number("540402", date(1975, 3, 3), 5)
    relation = services.relation_add_person(
        scope=scope_for_user(clerk_a),
        organization=org,
        person_name="扎西",
        person_id_number=number,
        role="legal_representative",
        valid_from=date(2020, 1, 1),
    )
    assert relation.person.is_person and relation.is_current()
    with pytest.raises(ValidationError) as exc:
        services.relation_end(scope=scope_for_user(clerk_a), relation=relation, valid_until=date(2019, 1, 1))
    assert "valid_until" in exc.value.message_dict


def test_reveal_id_number_is_audited_and_role_checked(make_subject, clerk_a, coordinator):
    person = make_subject("卓玛", kind=Subject.Kind.NATURAL_PERSON)
    with pytest.raises(PermissionDenied):
        services.subject_reveal_id_number(user=clerk_a, subject=person, reason="核查")
    number = services.subject_reveal_id_number(user=coordinator, subject=person, reason="核查身份")
    assert number == person.reveal_id_number()
    assert AuditEvent.objects.filter(subject_id=person.pk, action="read", reason="核查身份").exists()


def test_audit_chain_verifies_and_detects_tampering(make_subject):
    make_subject("甲公司")
    make_subject("乙公司")
    ok, checked, _ = verify_chain()
    assert ok and checked == 2
    # Tamper through SQL (the model refuses updates).
    AuditEvent.objects.filter(pk=AuditEvent.objects.order_by("id").first().pk).update(reason="改过")
    ok, _, message = verify_chain()
    assert not ok and "篡改" in message


def test_audit_rows_refuse_update_and_delete(make_subject):
    make_subject()
    event = AuditEvent.objects.get()
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
