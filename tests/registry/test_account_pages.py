"""The accounts list and the form that opens an account: bindings chosen by the names and
codes people know, a temporary password shown once, each wrong field named beside it with
nothing written, and the pages closed to every role but the district administrator."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_provider, make_staff, make_tree, make_user
from tests.web.test_list_queries import counted
from tests.web.test_order_pages import login
from tests.web.text_scan import assert_words
from yiyang.registry.areas.models import Area
from yiyang.security.models import FamilyLink, UserAccount
from yiyang.security.roles import Role

TEMPORARY = re.compile(r'data-testid="temporary-value">([^<]+)<')


def _open(client: TestClient, csrf: str, **fields: str) -> tuple[int, str]:
    resp = client.post("/accounts/new?lang=en", data=fields | {"csrf_token": csrf})
    return resp.status_code, resp.text


def _account(db: Session, username: str) -> UserAccount | None:
    db.expire_all()
    return db.scalar(select(UserAccount).where(UserAccount.username == username))


def test_a_caregiver_account_is_opened_by_staff_code_with_a_temporary_password(
    client: TestClient, db: Session
) -> None:
    provider = make_provider(db)
    staff = make_staff(db, provider, name="赵丽")
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    csrf = login(client, admin, "/accounts/new")
    status, page = _open(client, csrf, display_name="赵丽", username="zhao.li",
                         role="caregiver", staff_code=f" {staff.code} ")  # fmt: skip
    assert status == 200, page
    found = TEMPORARY.search(page)
    assert found and len(found.group(1)) >= 19
    assert "The account is open" in page and "赵丽" in page and provider.name in page
    user = _account(db, "zhao.li")
    assert user is not None and user.staff_id == staff.id and user.provider_id == provider.id
    assert user.password_must_change is True


def test_a_family_account_follows_the_elder_named_by_id_number(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    csrf = login(client, admin, "/accounts/new")
    status, page = _open(client, csrf, display_name="李明", username="li.ming", role="family",
                         elder_id_number=elder.id_number.lower())  # fmt: skip
    assert status == 200, page
    user = _account(db, "li.ming")
    assert user is not None and user.elder_id == elder.id
    assert db.scalar(select(FamilyLink.elder_id).where(FamilyLink.user_id == user.id)) == elder.id
    assert f'href="/elders/{elder.id}"' in client.get(f"/accounts/{user.id}").text


def test_each_wrong_field_is_named_beside_it_and_nothing_is_opened(
    client: TestClient, db: Session
) -> None:
    make_tree(db)
    taken, _ = make_user(db, Role.OPERATOR)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    csrf = login(client, admin, "/accounts/new")
    before = db.scalar(select(func.count(UserAccount.id)))
    cases = (
        ({"role": "caregiver", "staff_code": "S99999"}, "staff_code",
         "No staff member has the code S99999.", 422),
        ({"role": "caregiver"}, "staff_code", "Give the staff member&#39;s code.", 422),
        ({"role": "street_admin"}, "street_code", "Choose the area this account works in.", 422),
        ({"role": "provider_admin"}, "provider_id", "Choose the provider.", 422),
        ({"role": "family", "elder_id_number": "410105194503080000"}, "elder_id_number",
         "No elder in the registry has this ID number.", 422),
        ({"role": "operator", "username": "a b"}, "username", "", 422),
        ({"role": "operator", "username": taken.username}, "username",
         f"The user name {taken.username} is taken.", 409),
    )  # fmt: skip
    for fields, field, words, code in cases:
        data = {"display_name": "新同事", "username": "new.colleague"} | fields
        status, page = _open(client, csrf, **data)
        assert status == code, (fields, page)
        assert f'data-field="{field}"' in page and "invalid" in page, fields
        assert words in page, fields
        assert 'value="新同事"' in page  # what was typed stays
    db.expire_all()
    assert db.scalar(select(func.count(UserAccount.id))) == before


def test_the_list_filters_by_role_state_and_name_and_pages_past_the_first(
    client: TestClient, db: Session
) -> None:
    for _ in range(30):
        make_user(db, Role.CAREGIVER)
    quiet, _ = make_user(db, Role.AUDITOR, username="quiet.auditor")
    quiet.active = False
    db.flush()
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin, "/accounts")
    first = client.get("/accounts?role=caregiver&lang=en").text
    assert "30 accounts" in first and first.count('data-testid="account-row"') == 25
    second = client.get("/accounts?role=caregiver&page=2&lang=en").text
    assert second.count('data-testid="account-row"') == 5
    off = client.get("/accounts?state=inactive&lang=en").text
    assert "1 account" in off and "quiet.auditor" in off and "Deactivated" in off
    named = client.get("/accounts?q=quiet&lang=en").text
    assert "quiet.auditor" in named and named.count('data-testid="account-row"') == 1
    assert ">Auditor<" in named and ">auditor<" not in named  # the role in words
    odd = client.get("/accounts?role=nobody&state=asleep&lang=en")
    assert odd.status_code == 200  # a filter the schema refuses is dropped, not a 422


def test_other_roles_are_refused_in_words_and_an_unknown_account_is_not_found(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    street, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    login(client, street)
    for page in ("/accounts", "/accounts/new", f"/accounts/{street.id}"):
        resp = client.get(page + "?lang=en")
        assert resp.status_code == 403 and "Your role may not manage user accounts." in resp.text
    assert 'href="/accounts"' not in client.get("/elders").text
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin)
    assert 'href="/accounts"' in client.get("/elders").text
    missing = client.get("/accounts/987654?lang=en")
    assert missing.status_code == 404 and "Account 987654 not found." in missing.text


def test_the_pages_read_in_words_in_both_languages(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    provider = make_provider(db)
    staff = make_staff(db, provider)
    people = [
        make_user(db, Role.CAREGIVER, provider=provider, staff_id=staff.id)[0],
        make_user(db, Role.STREET_ADMIN, area=tree.street_a)[0],
        make_user(db, Role.FAMILY, elder=make_elder(db, tree.comm_a1))[0],
    ]
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin, "/accounts")
    names = [u.username for u in [*people, admin]] + [u.display_name for u in [*people, admin]]
    names += [provider.name, staff.name, "王秀英", "中文"]  # 中文: the language switch
    names += db.scalars(select(Area.name)).all()  # the form offers every street and community
    for lang, locale in (("zh", "zh_CN"), ("en", "en")):
        for page in ("/accounts", *(f"/accounts/{u.id}" for u in people), "/accounts/new"):
            assert_words(client.get(f"{page}?lang={lang}").text, locale, allowed=names)


def test_more_accounts_take_no_more_queries(client: TestClient, db: Session) -> None:
    provider = make_provider(db)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin, "/accounts")
    client.get("/accounts")  # warm: the session's token touch
    with counted(db) as before:
        assert client.get("/accounts").status_code == 200
    for _ in range(20):
        make_user(db, Role.PROVIDER_ADMIN, provider=provider)
    with counted(db) as after:
        assert client.get("/accounts").status_code == 200
    assert len(after) == len(before), "\n".join(after)
