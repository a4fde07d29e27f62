"""An address that is no page answers with a page in words, not JSON; the API keeps JSON."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_an_unknown_page_address_is_an_html_page_in_words(client: TestClient) -> None:
    resp = client.get("/no-such-page", headers={"accept-language": "zh-CN"})
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("text/html")
    assert "没有这个页面" in resp.text and "detail" not in resp.text
    english = client.get("/no-such-page?lang=en")
    assert english.status_code == 404 and "There is no such page." in english.text
    assert "未找到" not in english.text and "Not found" in english.text  # one language


def test_a_page_asked_with_the_wrong_method_says_so_in_words(client: TestClient) -> None:
    resp = client.delete("/login")
    assert resp.status_code == 405 and resp.headers["content-type"].startswith("text/html")
    assert "Method Not Allowed" not in resp.text


def test_the_api_still_answers_json(client: TestClient) -> None:
    resp = client.get("/api/v1/no-such")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
