"""Elder search at city scale: each kind of text hits its own column, counts are capped,
namesakes sort by community, and the call centre's page shows where each one lives."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_tree, make_user
from tests.web.test_registry_pages import login
from yiyang.kit.pagination import PageParams
from yiyang.registry.elders import repository, service
from yiyang.registry.elders.models import Elder
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

TODAY = date(2026, 11, 23)
ADMIN = Subject(1, "admin", "admin", Role.DISTRICT_ADMIN)


def sql_of(subject: Subject, q: str) -> str:
    stmt = select(Elder.id).where(repository.matching(subject, q))
    return str(stmt.compile(dialect=postgresql.dialect()))


def found(db: Session, q: str, subject: Subject = ADMIN, **flt: object) -> list[Elder]:
    rows, _, _ = repository.search(db, subject, ElderFilter(q=q, **flt), PageParams(), TODAY)
    return rows


def test_digits_never_search_the_name() -> None:
    for q in ("1380000", "410105", "12", "13800001234", "410105194503080021"):
        assert "elder.name" not in sql_of(ADMIN, q), q
    assert "elder.id_number = " in sql_of(ADMIN, "410105194503080021")
    assert "elder.phone = " in sql_of(ADMIN, "13800001234")  # a whole mobile: exact match
    assert "elder.phone LIKE" in sql_of(ADMIN, "01234")  # part of it: the trigram index
    assert "elder.name LIKE" in sql_of(ADMIN, "王秀")
    assert "phone" not in sql_of(ADMIN, "王秀") and "id_number" not in sql_of(ADMIN, "王秀")


def test_phone_digits_find_nothing_for_who_sees_phones_masked() -> None:
    auditor = Subject(2, "a", "a", Role.AUDITOR)
    sql = sql_of(auditor, "13800001234")
    assert "phone" not in sql and "name" not in sql


def test_id_number_phone_and_name_each_find_the_elder(db: Session) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1, name="欧阳秀英", phone="13912340001")
    make_elder(db, tree.comm_a2, name="李桂兰", phone="13912340002")
    assert [e.id for e in found(db, elder.id_number)] == [elder.id]
    assert [e.id for e in found(db, "13912340001")] == [elder.id]
    assert [e.id for e in found(db, "340001")] == [elder.id]  # a phone's last digits
    assert [e.id for e in found(db, "欧阳秀")] == [elder.id]  # three characters: trigrams
    assert [e.id for e in found(db, "秀英")] == [elder.id]  # two: the short scan
    assert [e.name for e in found(db, "1391234")] == ["欧阳秀英", "李桂兰"]
    assert found(db, "12") == []  # too few digits for a phone, and never a name


def test_namesakes_sort_by_street_and_community(db: Session) -> None:
    tree = make_tree(db)
    b2 = make_elder(db, tree.comm_b2, name="张秀兰")
    a2 = make_elder(db, tree.comm_a2, name="张秀兰")
    a1 = make_elder(db, tree.comm_a1, name="张秀兰")
    by_id = [e.id for e in found(db, "张秀兰")]
    assert by_id == [b2.id, a2.id, a1.id]
    by_place = found(db, "张秀兰", sort="community")
    assert [e.id for e in by_place] == [a1.id, a2.id, b2.id]  # streets, then communities
    only_b = found(db, "张秀兰", community_code=tree.comm_b2.code)
    assert [e.id for e in only_b] == [b2.id]


def test_count_stops_at_the_cap_and_pages_go_on(db: Session) -> None:
    tree = make_tree(db)
    for n in range(7):
        make_elder(db, tree.comm_a1, name=f"王{n}", phone=f"1370000{n:04d}")
    flt = ElderFilter(q="王")
    rows, total, more = repository.search(db, ADMIN, flt, PageParams(size=3), TODAY, count_cap=5)
    assert (len(rows), total, more) == (3, 5, True)
    rows, total, more = repository.search(db, ADMIN, flt, PageParams(size=3), TODAY, count_cap=7)
    assert (total, more) == (7, False)
    third, _, _ = repository.search(db, ADMIN, flt, PageParams(page=3, size=3), TODAY)
    assert len(third) == 1


def test_call_centre_page_shows_place_age_and_address_and_pages(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    for n in range(25):
        make_elder(db, tree.comm_a1 if n % 2 else tree.comm_b1, name=f"赵淑珍{n:02d}")
    operator, _ = make_user(db, Role.OPERATOR)
    login(client, operator.username)
    page = client.get("/elders", params={"q": "赵淑珍", "sort": "community"}).text
    assert page.count('href="/elders/') - page.count('href="/elders/new') >= 20
    assert "文雅社区" in page and "四月天社区" in page and "文化路 1 号" in page
    assert 'data-total="25"' in page
    assert 'rel="next"' in page
    second = client.get("/elders", params={"q": "赵淑珍", "page": "2"}).text
    assert second.count("赵淑珍") >= 5
    assert page.index("北林路街道") < page.index("丰庆路街道")  # street a first by community


def test_the_list_counts_up_to_its_cap_and_says_more_match(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = make_tree(db)
    for n in range(3):
        make_elder(db, tree.comm_a1 if n else tree.comm_b1, name=f"孙{n}")
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin.username)
    monkeypatch.setattr(service, "LIST_COUNT_CAP", 2)
    page = client.get("/elders", params={"lang": "en"}).text
    assert "More than 2 found" in page and 'data-total="2"' in page
    one_street = client.get("/elders", params={"lang": "en", "street_code": tree.street_a.code})
    assert "2 found" in one_street.text and "More than" not in one_street.text
