"""
docs/openapi.yaml against the server: every route of the routing table
(src/api/routes.c) has an entry and the document names no route the router
lacks; the error catalogue equals src/edge/errmap.c; every $ref resolves; and
the running server serves the file at GET /openapi.yaml.

The paths and the catalogue are read with a small line parser of our own
(the document's layout is fixed: two-space indentation, paths at column 2,
methods at column 4), so these checks do not need PyYAML; the whole-document
checks use PyYAML (python3-yaml) when it is installed.
"""
import re
import time
from pathlib import Path

import pytest
import requests

import helpers as h

REPO = Path(__file__).resolve().parents[2]
OPENAPI = REPO / "docs" / "openapi.yaml"
ROUTES_C = REPO / "src" / "api" / "routes.c"
ERRMAP_C = REPO / "src" / "edge" / "errmap.c"
TS_ERRCODE_C = REPO / "src" / "edge" / "ts_errcode.c"

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


# --- sources -----------------------------------------------------------------

def router_routes():
    """{(METHOD, pattern)} of the rows of api_routes[] in routes.c."""
    text = ROUTES_C.read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)        # comments
    text = re.sub(r"//[^\n]*", "", text)
    m = re.search(r"api_routes\s*\[\s*\]\s*=\s*\{(.*)\};", text, flags=re.S)
    assert m, "routes.c: no api_routes[] table"
    rows = re.findall(r'\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"', m.group(1))
    assert rows, "routes.c: no rows found in api_routes[]"
    return {(meth, path) for meth, path in rows}


def _unquote(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    return s


def doc_routes(text=None):
    """{(METHOD, path)} of the `paths:` section of openapi.yaml, read line by
    line: a path is a key at indentation 2 under `paths:`, a method a key at
    indentation 4 below it."""
    text = OPENAPI.read_text() if text is None else text
    out = set()
    in_paths = False
    path = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        assert "\t" not in line[:indent + 1], "openapi.yaml:%d: tab in indentation" % lineno
        if indent == 0:
            in_paths = line.rstrip() == "paths:"
            path = None
            continue
        if not in_paths:
            continue
        m = re.match(r"^( *)([^:#]+|'[^']*'|\"[^\"]*\"):(\s.*)?$", line)
        if not m:
            continue
        key = _unquote(m.group(2))
        if indent == 2:
            assert key.startswith("/"), "openapi.yaml:%d: path key %r" % (lineno, key)
            path = key
        elif indent == 4 and path is not None and key in METHODS:
            out.add((key.upper(), path))
    return out


def errmap_rows():
    """{(error_code, status, oauth_error)} of errmap.c's table."""
    text = ERRMAP_C.read_text()
    internal = re.search(r'#define\s+INTERNAL_ROW\s*\{\s*(\d+)\s*,\s*"(\w+)"\s*,\s*"(\w+)"',
                         text)
    assert internal, "errmap.c: INTERNAL_ROW not found"
    rows = {(internal.group(2), int(internal.group(1)), internal.group(3))}
    for status, code, oauth in re.findall(
            r'\[BA_\w+\]\s*=\s*\{\s*(\d+)\s*,\s*"(\w+)"\s*,\s*"(\w+)"', text):
        rows.add((code, int(status), oauth))
    assert len(rows) > 10, "errmap.c: too few rows parsed: %s" % rows
    return rows


def doc_catalogue(text=None):
    """{(code, status, oauth_error)} of the x-error-catalogue list."""
    text = OPENAPI.read_text() if text is None else text
    m = re.search(r"^x-error-catalogue:\n((?:[ #].*\n|\n)*)", text, flags=re.M)
    assert m, "openapi.yaml: no top-level x-error-catalogue"
    rows = set()
    for line in m.group(1).splitlines():
        e = re.match(r"^\s*- \{code: (\w+), status: (\d+), oauth_error: (\w+)", line)
        if e:
            rows.add((e.group(1), int(e.group(2)), e.group(3)))
    return rows


# --- the parser itself -------------------------------------------------------

def test_doc_parser_reads_paths_and_methods():
    sample = ("openapi: 3.1.0\npaths:\n  /a:\n    get:\n      summary: x\n"
              "      responses:\n        '200': {description: ok}\n"
              "    post:\n      x: 1\n  '/b/{id}':\n    delete: {}\n"
              "components:\n  /notapath:\n    get: {}\n")
    assert doc_routes(sample) == {("GET", "/a"), ("POST", "/a"), ("DELETE", "/b/{id}")}


# --- the router and the document ---------------------------------------------

def test_every_route_is_documented():
    missing = sorted(router_routes() - doc_routes())
    assert not missing, "routes of src/api/routes.c without an entry in docs/openapi.yaml: %s" \
        % missing


def test_document_has_no_route_the_router_lacks():
    extra = sorted(doc_routes() - router_routes())
    assert not extra, "docs/openapi.yaml documents routes src/api/routes.c does not have: %s" \
        % extra


def test_error_catalogue_matches_errmap():
    code, doc = errmap_rows(), doc_catalogue()
    assert not code - doc, "errmap.c rows missing from x-error-catalogue: %s" % sorted(code - doc)
    assert not doc - code, "x-error-catalogue rows errmap.c lacks: %s" % sorted(doc - code)


def ts_codes_of_errmap():
    """{error_code: ts_error_code} from errmap.c and ts_errcode.c (both
    indexed by enum ba_err); asserts that each error_code has one."""
    em = ERRMAP_C.read_text()
    code_of = dict(re.findall(r'\[(BA_\w+)\]\s*=\s*\{\s*\d+\s*,\s*"(\w+)"', em))
    for name in re.findall(r'\[(BA_\w+)\]\s*=\s*INTERNAL_ROW', em):
        code_of[name] = "internal_error"
    out = {}
    for name, ts in re.findall(r'\[(BA_\w+)\]\s*=\s*"(\w+)"', TS_ERRCODE_C.read_text()):
        code = code_of[name]
        assert out.setdefault(code, ts) == ts, f"{code}: two ts_error_codes {out[code]}, {ts}"
    return out


def test_ts_error_code_column_matches_the_tables():
    doc = dict(re.findall(r"^\s*- \{code: (\w+), status: \d+, oauth_error: \w+, "
                          r"ts_error_code: (\w+)", OPENAPI.read_text(), flags=re.M))
    assert doc == ts_codes_of_errmap()


# --- the whole document (PyYAML) ---------------------------------------------

def _load():
    yaml = pytest.importorskip("yaml", reason="python3-yaml is needed for the "
                               "whole-document checks (scripts/install-deps.sh)")
    return yaml.safe_load(OPENAPI.read_text())


def test_document_is_openapi_31():
    doc = _load()
    assert str(doc["openapi"]).startswith("3.1"), doc["openapi"]
    assert doc["info"]["title"] and doc["info"]["version"]
    # the line parser and YAML agree on the paths
    yaml_routes = {(m.upper(), p) for p, item in doc["paths"].items()
                   for m in item if m in METHODS}
    assert yaml_routes == doc_routes()
    yaml_cat = {(e["code"], e["status"], e["oauth_error"]) for e in doc["x-error-catalogue"]}
    assert yaml_cat == doc_catalogue()
    # the ErrorCode enum lists the same codes as the catalogue
    enum = set(doc["components"]["schemas"]["ErrorCode"]["enum"])
    assert enum == {c for c, _, _ in yaml_cat}


def _walk(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield path + (k,), k, v
            yield from _walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, path + (i,))


def test_every_ref_resolves():
    doc = _load()
    for where, k, v in _walk(doc):
        if k != "$ref":
            continue
        assert v.startswith("#/"), "%s: external $ref %r" % ("/".join(map(str, where)), v)
        node = doc
        for part in v[2:].split("/"):
            assert isinstance(node, dict) and part in node, \
                "%s: $ref %r does not resolve" % ("/".join(map(str, where)), v)
            node = node[part]


def test_operations_are_complete():
    doc = _load()
    schemes = set(doc["components"]["securitySchemes"])
    assert {"ClientAccessToken", "UserAccessToken"} <= schemes
    op_ids = set()
    for p, item in doc["paths"].items():
        params = re.findall(r"\{(\w+)\}", p)
        for m, op in item.items():
            if m not in METHODS:
                continue
            where = "%s %s" % (m.upper(), p)
            assert op.get("responses"), where + ": no responses"
            assert op.get("operationId") and op["operationId"] not in op_ids, where
            op_ids.add(op["operationId"])
            assert "security" in op, where + ": no security (use [] for none)"
            for req in op["security"]:
                assert set(req) <= schemes, where
            declared = set()
            for prm in op.get("parameters", []) + item.get("parameters", []):
                if "$ref" in prm:
                    prm = doc["components"]["parameters"][prm["$ref"].rsplit("/", 1)[1]]
                if prm.get("in") == "path":
                    declared.add(prm["name"])
            assert declared == set(params), "%s: path parameters %s, declared %s" % (
                where, params, declared)
            if m in ("post", "put", "patch"):
                assert "requestBody" in op or not op.get("security"), where + ": no requestBody"


def test_mobile_biometrics_operations_use_the_right_tokens():
    doc = _load()
    want = {("post", "/v1/auth/mobile-biometrics/start"): "ClientAccessToken",
            ("post", "/v1/auth/mobile-biometrics/authenticate"): "ClientAccessToken",
            ("post", "/v1/auth/mobile-biometrics/register"): "UserAccessToken",
            ("delete", "/v1/auth/mobile-biometrics/delete"): "UserAccessToken",
            ("get", "/v1/users/{user_id}/authenticators"): "ClientAccessToken"}
    for (m, p), scheme in want.items():
        assert doc["paths"][p][m]["security"] == [{scheme: []}], (m, p)


# --- served by the server ----------------------------------------------------

def test_server_serves_the_document(server):
    r = requests.get(h.url(server, "/openapi.yaml"), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200, "GET /openapi.yaml: %d %s" % (r.status_code, r.text[:200])
    ctype = r.headers.get("Content-Type", "")
    assert "yaml" in ctype or ctype.startswith("text/"), ctype
    assert r.content == OPENAPI.read_bytes(), "served document differs from docs/openapi.yaml"


# --- real responses against the documented schemas ---------------------------

class SchemaError(AssertionError):
    pass


def _resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        cur = doc
        for part in node["$ref"][2:].split("/"):
            cur = cur[part]
        node = cur
    return node


_PY = {"string": str, "boolean": bool, "object": dict, "array": list,
       "null": type(None)}


def _type_ok(value, t):
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _PY[t])


def validate(doc, schema, value, where="$"):
    """A strict subset of JSON Schema for response bodies: type, enum, const,
    required, properties, items, oneOf, additionalProperties. A property the
    schema does not declare is an error (the document must describe every
    field the server sends) unless additionalProperties allows it."""
    schema = _resolve(doc, schema)
    if "oneOf" in schema:
        errors = []
        for alt in schema["oneOf"]:
            try:
                validate(doc, alt, value, where)
                return
            except SchemaError as e:
                errors.append(str(e))
        raise SchemaError("%s: matches no oneOf alternative: %s" % (where, errors))
    types = schema.get("type")
    if types is not None:
        types = types if isinstance(types, list) else [types]
        if not any(_type_ok(value, t) for t in types):
            raise SchemaError("%s: %r is not of type %s" % (where, value, types))
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaError("%s: %r not in enum %s" % (where, value, schema["enum"]))
    if "const" in schema and value != schema["const"]:
        raise SchemaError("%s: %r is not %r" % (where, value, schema["const"]))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for req in schema.get("required", []):
            if req not in value:
                raise SchemaError("%s: required property %r missing in %r" % (where, req, value))
        extra = schema.get("additionalProperties", None if props else True)
        for k, v in value.items():
            if k in props:
                validate(doc, props[k], v, "%s.%s" % (where, k))
            elif extra in (None, False):
                raise SchemaError("%s: property %r is not documented" % (where, k))
            elif isinstance(extra, dict):
                validate(doc, extra, v, "%s.%s" % (where, k))
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            validate(doc, schema["items"], v, "%s[%d]" % (where, i))


def test_validator_is_strict():
    doc = {"components": {"schemas": {"T": {
        "type": "object", "required": ["a"],
        "properties": {"a": {"type": "integer"}, "b": {"type": ["string", "null"]}}}}}}
    ref = {"$ref": "#/components/schemas/T"}
    validate(doc, ref, {"a": 1, "b": None})
    for bad in ({"b": "x"}, {"a": "1"}, {"a": True}, {"a": 1, "c": 2}, {"a": 1, "b": 3}, []):
        with pytest.raises(SchemaError):
            validate(doc, ref, bad)


def check_response(doc, method, path, resp):
    """`resp` is documented: its status is listed for the operation and its
    JSON body matches the schema of that status."""
    op = doc["paths"][path][method.lower()]
    status = str(resp.status_code)
    where = "%s %s -> %s" % (method, path, status)
    assert status in op["responses"], "%s: status not documented (%s)" % (where, resp.text[:200])
    r = _resolve(doc, op["responses"][status])
    content = r.get("content")
    if not content:
        assert resp.content == b"", "%s: documented without body, got %r" % (where, resp.text)
        return
    ctype = resp.headers.get("Content-Type", "").split(";")[0].strip()
    assert ctype in content, "%s: Content-Type %r, documented %s" % (where, ctype, list(content))
    if ctype.endswith("json"):
        validate(doc, content[ctype]["schema"], resp.json(), where)


def test_responses_match_documented_schemas(server):
    import base64 as b64mod
    from mb_helpers import Device, MBClient, auth_body

    doc = _load()
    MB = "/v1/auth/mobile-biometrics"
    app = h.create_app(server)
    r = h.client_token_response(server, app)
    check_response(doc, "POST", "/oidc/token", r)
    mb = MBClient(server, app)

    r = h.create_user(server, mb.ctoken, username=h.unique_name("oa"),
                      password=h.DEFAULT_PASSWORD, expect=None)
    check_response(doc, "POST", "/v1/users", r)
    user = r.json()["result"]
    check_response(doc, "GET", "/v1/users/{user_id}", h.get_user(server, mb.ctoken, user["user_id"]))
    full = requests.post(h.url(server, "/v1/users"), headers=h.bearer(mb.ctoken),
                         timeout=h.HTTP_TIMEOUT, json={
                             "username": h.unique_name("oafull"),
                             "email": h.unique_name("oa") + "@example.test",
                             "phone_number": "+1555%07d" % (time.time_ns() // 1000 % 10**7),
                             "name": {"first_name": "Ada"}, "external_user_id": "x",
                             "custom_data": {"a": [1]}})
    check_response(doc, "POST", "/v1/users", full)
    check_response(doc, "POST", "/v1/users", requests.post(
        h.url(server, "/v1/users"), headers=h.bearer(mb.ctoken), timeout=h.HTTP_TIMEOUT,
        json={"email": full.json()["result"]["email"]["value"]}))                # 409
    for path in ("/v1/users/username/" + full.json()["result"]["username"],
                 "/v1/users/email/" + full.json()["result"]["email"]["value"],
                 "/v1/users/email/nobody%40example.test"):
        check_response(doc, "GET", "/v1/users/username/{username}" if "username" in path
                       else "/v1/users/email/{email}",
                       requests.get(h.url(server, path), headers=h.bearer(mb.ctoken),
                                    timeout=h.HTTP_TIMEOUT))
    check_response(doc, "GET", "/v1/users/{user_id}", h.get_user(server, mb.ctoken, "nobody-here"))
    r = h.password_login_response(server, mb.ctoken, user["username"], h.DEFAULT_PASSWORD)
    check_response(doc, "POST", "/v1/auth/password/authenticate", r)
    login = r.json()
    r = h.password_login_response(server, mb.ctoken, user["username"], "wrong")
    check_response(doc, "POST", "/v1/auth/password/authenticate", r)

    dev = Device("android", "ec")
    body = dev.register_body(device_id="d1", displayName="n")
    r = mb.register(login["access_token"], body)
    check_response(doc, "POST", MB + "/register", r)
    check_response(doc, "POST", MB + "/register", mb.register(login["access_token"], body))
    check_response(doc, "POST", MB + "/register",
                   mb.register(login["access_token"], dict(body, publicKey="!!")))
    check_response(doc, "POST", MB + "/register", mb.register(mb.ctoken, body))
    check_response(doc, "POST", MB + "/register", mb.register("x", body))
    check_response(doc, "GET", "/v1/users/{user_id}/authenticators",
                   mb.authenticators(user["user_id"]))

    r = mb.start(user["user_id"])
    check_response(doc, "POST", MB + "/start", r)
    ch = r.json()["challenge"]
    check_response(doc, "POST", MB + "/start", mb.start("nobody-here"))
    check_response(doc, "POST", MB + "/start", mb.start(user["user_id"], timeout="x"))

    class P:
        user_id = user["user_id"]
    good = auth_body(P, dev, ch)
    check_response(doc, "POST", MB + "/authenticate",
                   mb.authenticate(dict(good, signature=b64mod.b64encode(b"x" * 64).decode())))
    r = mb.authenticate(good)
    check_response(doc, "POST", MB + "/authenticate", r)
    tokens = r.json()
    check_response(doc, "POST", MB + "/authenticate", mb.authenticate(good))      # reused
    check_response(doc, "POST", MB + "/authenticate",
                   mb.authenticate(dict(good, key_id="nope")))

    r = h.refresh(server, mb.ctoken, tokens["refresh_token"])
    check_response(doc, "POST", "/v1/auth/token/refresh", r)
    r2 = h.refresh_oauth(server, app, r.json()["refresh_token"])
    check_response(doc, "POST", "/oidc/token", r2)
    check_response(doc, "POST", "/oidc/token/introspection",
                   h.introspect(server, app, r2.json()["access_token"]))
    check_response(doc, "POST", "/oidc/token/revocation",
                   h.revoke(server, app, r2.json()["refresh_token"]))

    check_response(doc, "DELETE", MB + "/delete", mb.delete(login["access_token"], dev.key_id))
    check_response(doc, "DELETE", MB + "/delete", mb.delete(login["access_token"], dev.key_id))
    check_response(doc, "POST", "/v1/auth/session/logout", h.logout(server, mb.ctoken,
                                                                    login["session_id"]))
    check_response(doc, "DELETE", "/v1/users/{user_id}",
                   h.delete_user(server, mb.ctoken, user["user_id"]))

    for path in ("/oidc/.well-known/openid-configuration", "/.well-known/openid-configuration",
                 "/oidc/jwks", "/healthz", "/readyz", "/metrics", "/openapi.yaml"):
        check_response(doc, "GET", path, requests.get(h.url(server, path), timeout=h.HTTP_TIMEOUT))
