"""An API definition brought in with `AWS::Include` (a file beside the template that
`sam deploy` / `aws cloudformation package` upload).

When the file is not there: the build fails (OPS-LOCAL-PATH-MISSING at the property), and
what the API's routes require is not known. SAM gives each operation of the definition
that states no security the API's `DefaultAuthorizer`, so such an API is not reported as
open to anyone (SEC-APIGW-AUTH said "auth = none" of one whose routes all take a JWT)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import analyse_input

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        Fn::Transform:
          Name: AWS::Include
          Parameters: {Location: ./api.yaml}
      Auth:
        Authorizers:
          Jwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration: {issuer: "https://example.com", audience: [app]}
        %(default)s
"""
API = """
openapi: "3.0.1"
info: {title: orders, version: "1"}
paths:
  /orders:
    get:
      responses: {"200": {description: ok}}
%(open)s
"""
OPEN_ROUTE = """  /health:
    get:
      security: [{Open: []}]
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    Open: {type: apiKey, name: x-api-key, in: header}
"""


def _rules(result: object) -> dict[str, list[object]]:
    out: dict[str, list[object]] = {}
    for f in result.findings:  # type: ignore[attr-defined]
        out.setdefault(f.rule, []).append(f)
    return out


def test_a_missing_include_is_a_build_error_and_not_an_open_api(tmp_path: Path) -> None:
    result = analyse_input(tmp_path, "cloudformation",
                           TEMPLATE % {"default": "DefaultAuthorizer: Jwt"})
    rules = _rules(result)
    (missing,) = rules["OPS-LOCAL-PATH-MISSING"]
    assert "AWS::Include ./api.yaml" in missing.message and "does not exist" in missing.message
    assert missing.location.line == 6  # at DefinitionBody, where the fix goes
    assert "SEC-APIGW-AUTH" not in rules
    assert result.before.props("Orders")["auth"] == "jwt"


def test_without_a_default_authorizer_an_unread_api_is_still_judged_open(tmp_path: Path) -> None:
    result = analyse_input(tmp_path, "cloudformation", TEMPLATE % {"default": ""})
    assert "SEC-APIGW-AUTH" in _rules(result)


# (an operation that names a scheme of its own keeps it: here an API key)
@pytest.mark.parametrize(("open_route", "auth"), [("", "jwt"), (OPEN_ROUTE, "api_key")])
def test_an_included_definition_that_is_there_is_read(tmp_path: Path, open_route: str,
                                                      auth: str) -> None:
    (tmp_path / "api.yaml").write_text(API % {"open": open_route}, "utf-8")
    result = analyse_input(tmp_path, "cloudformation",
                           TEMPLATE % {"default": "DefaultAuthorizer: Jwt"})
    rules = _rules(result)
    assert "OPS-LOCAL-PATH-MISSING" not in rules
    assert result.before.props("Orders")["auth"] == auth
