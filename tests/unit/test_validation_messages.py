"""422 messages name the field and the problem once (issue 16): a body that may be one request
or a list reports only the shape it has, and a non-JSON body says so."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, FastAPI
from fastapi.testclient import TestClient

from service.app import describe_errors, relevant_errors
from triage.schema import TriageRequest


def _message(**kwargs: Any) -> str:
    app = FastAPI()

    @app.post("/t")
    def score(body: Annotated[TriageRequest | list[TriageRequest], Body()]) -> dict[str, str]:
        return {}

    answer = TestClient(app).post("/t", **kwargs)
    assert answer.status_code == 422
    return describe_errors(relevant_errors(answer.json()["detail"]))


def test_one_request_reports_its_field_only() -> None:
    message = _message(json={"id": "a", "text": ""})
    assert message.startswith("text: text is empty")
    assert "list" not in message and "TriageRequest" not in message


def test_a_list_reports_the_item_and_field() -> None:
    message = _message(json=[{"id": "a", "text": "胸痛"}, {"id": "b"}])
    assert message == "1.text: required field is missing"


def test_a_body_that_is_not_json_says_so() -> None:
    message = _message(content=b"{not json", headers={"content-type": "application/json"})
    assert message == "body: not valid JSON at character 1"
