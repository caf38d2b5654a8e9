"""The request schemas through the API (Flask on a real Redis, no worker): every mistake named in one 400,
bounded domains, bodies that must not become 500s, and /api/openapi.json agreeing with the code."""
from __future__ import annotations

import copy
import json
import math

import pytest
from jsonschema import Draft202012Validator

STAMP = "2024-01-15T10:00:00"
PLAN = {"hours_ahead": 24, "current_capacity": 5000, "current_load": 1000, "timestamp": STAMP}
ASYNC = {"Prefer": "respond-async"}          # accepted bodies answer 202 at once: no worker needed


def post(client, path: str, body, **headers):
    return client.post(path, json=body, headers={**ASYNC, **headers})


def refused(client, path: str, body) -> dict:
    reply = post(client, path, body)
    assert reply.status_code == 400, reply.get_json()
    error = reply.get_json()["error"]
    assert error["code"] == "validation_error"
    return error


def test_a_bare_number_history_without_timestamp_is_refused_and_says_why(client):
    error = refused(client, "/api/forecast", {"hours_ahead": 24, "history": [950, 990, 1010, 1000]})
    reason = error["fields"]["timestamp"]
    assert "peak hours" in reason and "schedule" in reason and "{timestamp, load}" in reason
    assert list(error["fields"]) == ["timestamp"]
    points = [{"timestamp": "2024-01-15T09:00:00", "load": 990}, {"timestamp": STAMP, "load": 1000}]
    assert post(client, "/api/forecast", {"history": points}).status_code == 202       # points need nothing more
    with_stamp = {"history": [950, 990], "timestamp": STAMP}
    assert post(client, "/api/forecast", with_stamp).status_code == 202
    assert post(client, "/api/forecast", {"current_load": 1000}).status_code == 202    # the original's contract


def test_every_bad_field_and_a_misspelled_key_are_named_in_one_400(client):
    body = {**PLAN, "hours_ahead": 0, "current_capacity": -5, "scaling_threshold": 1.5, "treshold": 0.8}
    error = refused(client, "/api/capacity/recommendations", body)
    assert error["fields"] == {"hours_ahead": "must be >= 1", "current_capacity": "must be >= 1e-06",
                               "scaling_threshold": "must be <= 1",
                               "treshold": "unknown field; did you mean scaling_threshold?"}
    assert all(name in error["message"] for name in error["fields"])


def test_paths_name_the_bad_value_inside_a_history(client):
    points = [{"timestamp": STAMP, "load": 1}, {"timestamp": STAMP, "load": -3}, {"timestamp": "nope", "lod": 2}]
    error = refused(client, "/api/forecast", {"history": points})
    assert error["fields"] == {"history[1].load": "must be >= 0",
                               "history[2].timestamp": "must be an ISO-8601 date-time such as 2024-01-15T10:00:00",
                               "history[2].load": "is required",
                               "history[2].lod": "unknown field; did you mean load?"}


def test_a_long_bad_history_names_the_first_values_and_counts_the_rest(client):
    error = refused(client, "/api/forecast", {"history": [-1.0] * 8000, "timestamp": STAMP, "hours_ahead": 0})
    assert "hours_ahead" in error["fields"] and error["fields"]["history[...]"] == "and 7980 more errors"
    assert len(error["fields"]) == 22


def test_a_batch_plan_with_two_bad_fields_fails_alone_naming_both(app, client):
    plans = [{"id": "bad", "current_capacity": -1, "scaling_threshold": 0, "current_load": 5},
             {"id": "good", "current_capacity": 500, "current_load": 100, "timestamp": STAMP}]
    reply = post(client, "/api/capacity/batch", {"plans": plans})
    assert reply.status_code == 202 and reply.get_json()["plans"] == 2
    bad, good = app.extensions["capplan"].store.load_chunk(reply.get_json()["job_id"], 0)["plans"]
    assert bad["error"]["fields"] == {"current_capacity": "must be >= 1e-06", "scaling_threshold": "must be >= 0.01"}
    assert good["request"]["plan"] == {"current_capacity": 500} and "error" not in good


def test_a_bad_batch_envelope_is_one_400(client):
    error = refused(client, "/api/capacity/batch", {"plan": [PLAN]})
    assert error["fields"] == {"plans": "is required", "plan": "unknown field; did you mean plans?"}


# field -> (just inside, just outside) its documented range
BOUNDS = {
    "current_load": (1e12, math.nextafter(1e12, math.inf)),
    "current_capacity": (1e12, math.nextafter(1e12, math.inf)),
    "hours_ahead": (168, 169),
    "scaling_threshold": (0.01, math.nextafter(0.01, 0)),
    "unit_capacity": (0.01, math.nextafter(0.01, 0)),
    "unit_cost_per_hour": (1e9, math.nextafter(1e9, math.inf)),
    "lead_time_hours": (8760, 8761),
    "min_hold_hours": (8760, 8761),
    "min_capacity": (1e12, math.nextafter(1e12, math.inf)),
    "max_capacity": (1e12, math.nextafter(1e12, math.inf)),
    "headroom": (10, math.nextafter(10, math.inf)),
    "hysteresis": (10, math.nextafter(10, math.inf)),
}


LOWER_BOUNDS = {"current_capacity": (1e-6, math.nextafter(1e-6, 0))}   # where BOUNDS tests the upper one


@pytest.mark.parametrize("field, inside, outside", [(f, *b) for f, b in BOUNDS.items()] +
                         [(f, *b) for f, b in LOWER_BOUNDS.items()])
def test_each_bound_refuses_the_value_just_outside_and_takes_the_one_just_inside(client, field, inside, outside):
    error = refused(client, "/api/capacity/recommendations", {**PLAN, field: outside})
    assert list(error["fields"]) == [field]
    assert post(client, "/api/capacity/recommendations", {**PLAN, field: inside}).status_code == 202


def test_history_values_are_bounded_too(client):
    body = {"timestamp": STAMP, "history": [1.0, math.nextafter(1e12, math.inf)]}
    assert refused(client, "/api/forecast", body)["fields"] == {"history[1]": "must be <= 1e12"}
    assert post(client, "/api/forecast", {"timestamp": STAMP, "history": [1.0, 1e12]}).status_code == 202


@pytest.mark.parametrize("raw", [b"[" * 10_000 + b"]" * 10_000,
                                 b'{"history": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
                                 b'{"plans": [' + b"{\"id\": " * 5_000 + b"}" * 5_000 + b"]}"])
def test_deep_nesting_is_a_400_not_a_500(client, raw):
    reply = client.post("/api/capacity/batch", data=raw, content_type="application/json")
    assert reply.status_code == 400 and "body" in reply.get_json()["error"]["fields"]


@pytest.mark.parametrize("path, field", [("/api/forecast", "current_load"), ("/api/forecast", "hours_ahead"),
                                         ("/api/capacity/recommendations", "current_capacity"),
                                         ("/api/capacity/recommendations", "lead_time_hours")])
def test_a_400_digit_integer_is_a_400_naming_its_field(client, path, field):
    base = {"current_load": 1} if path == "/api/forecast" else {"current_capacity": 5000, "current_load": 1}
    text = json.dumps({**base, field: 0}).replace(f'"{field}": 0', f'"{field}": {"9" * 400}')
    reply = client.post(path, data=text.encode(), content_type="application/json")
    assert reply.status_code == 400 and list(reply.get_json()["error"]["fields"]) == [field]
    history = f'{{"timestamp": "{STAMP}", "history": [1, {"7" * 400}]}}'.encode()
    reply = client.post("/api/forecast", data=history, content_type="application/json")
    assert reply.status_code == 400 and list(reply.get_json()["error"]["fields"]) == ["history[1]"]


# The OpenAPI check: what the document says each endpoint takes is what the API takes.
ENDPOINTS = ["/api/forecast", "/api/capacity/recommendations", "/api/capacity/analyze", "/api/capacity/batch"]


def request_validator(spec: dict, path: str) -> Draft202012Validator:
    """A JSON Schema validator for the request body of ``path``, its $refs resolved within the document."""
    schema = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    root = {**schema, "components": spec["components"]}
    Draft202012Validator.check_schema(root)
    return Draft202012Validator(root)


def resolved(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def out_of_range(schema: dict) -> list:
    """Values just outside each bound a property's schema states (its non-null branch)."""
    branch = next((s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"), schema)
    up = 1 if branch.get("type") == "integer" else math.inf
    values = []
    if "maximum" in branch:
        values.append(branch["maximum"] + 1 if up == 1 else math.nextafter(branch["maximum"], up))
    if "minimum" in branch:
        values.append(branch["minimum"] - 1 if up == 1 else math.nextafter(branch["minimum"], -up))
    if "exclusiveMinimum" in branch:
        values.append(branch["exclusiveMinimum"])
    if "enum" in branch:
        values.append(sum(branch["enum"]) / len(branch["enum"]) + 0.01)
    return values


def bad_variants(spec: dict, path: str, example: dict) -> list[tuple[str, dict]]:
    """(field the API must name, body) for an unknown key and for each value out of its documented range."""
    plan = path.endswith("/batch")
    body_schema = resolved(spec, request_validator(spec, path).schema)
    item = resolved(spec, body_schema["properties"]["plans"]["items"]) if plan else body_schema
    base = example["plans"][0] if plan else example
    variants = [("unknown", {**base, "unknown": 1})]
    for name, prop in item["properties"].items():
        variants += [(name, {**base, name: value}) for value in out_of_range(prop)]
    numbers = next(s for s in item["properties"]["history"]["anyOf"] if "oneOf" in s)["oneOf"][0]["items"]
    variants += [("history[1]", {**base, "timestamp": STAMP, "history": [1.0, v]}) for v in out_of_range(numbers)]
    return [(f"plans[0].{name}" if plan else name, {"plans": [body]} if plan else body) for name, body in variants]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_documented_examples_validate_against_the_schema_and_are_accepted(client, path):
    spec = client.get("/api/openapi.json").get_json()
    validator = request_validator(spec, path)
    examples = resolved(spec, validator.schema)["examples"]
    assert examples
    for example in examples:
        assert not list(validator.iter_errors(example)), example
        reply = post(client, path, example)
        assert reply.status_code == 202, reply.get_json()
        if path.endswith("/batch"):
            chunk = client.application.extensions["capplan"].store.load_chunk(reply.get_json()["job_id"], 0)
            assert all("request" in plan for plan in chunk["plans"]), chunk


@pytest.mark.parametrize("path", ENDPOINTS)
def test_bad_variants_are_refused_by_the_schema_and_by_the_api(app, client, path):
    spec = client.get("/api/openapi.json").get_json()
    validator = request_validator(spec, path)
    example = copy.deepcopy(resolved(spec, validator.schema)["examples"][0])
    variants = bad_variants(spec, path, example)
    assert len(variants) >= (6 if path == "/api/forecast" else 14)
    for field, body in variants:
        assert list(validator.iter_errors(body)), f"the schema takes {field}: {body}"
        reply = post(client, path, body)
        if path.endswith("/batch"):          # a bad plan fails alone, named within the plan
            assert reply.status_code == 202
            plan = app.extensions["capplan"].store.load_chunk(reply.get_json()["job_id"], 0)["plans"][0]
            assert field.split(".", 1)[1] in plan["error"]["fields"], (field, plan)
        else:
            assert reply.status_code == 400 and field in reply.get_json()["error"]["fields"], (field, body)


@pytest.mark.parametrize("body, field", [({"hours_ahead": 24}, "current_load"),
                                         ({"history": [950, 990]}, "timestamp"),
                                         ({"history": [950, 990], "current_load": 5}, "timestamp")])
def test_the_rules_between_fields_are_in_the_schema_too(client, body, field):
    validator = request_validator(client.get("/api/openapi.json").get_json(), "/api/forecast")
    assert list(validator.iter_errors(body)), body
    assert list(refused(client, "/api/forecast", body)["fields"]) == [field]
