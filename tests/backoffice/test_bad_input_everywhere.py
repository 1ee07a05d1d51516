"""SEC-3 on every door at once: every API endpoint and every admin screen (found by walking the URL resolver,
which holds admin.site.get_urls() and every ModelAdmin's get_urls(); real object ids substituted) is fed NUL
bytes, JSON nested 1,000 deep, 3 MB bodies, junk in every form field, bad object ids, unknown paths with every
method, malformed tokens and bad session cookies.

Every answer must be a 4xx (or the ordinary page / redirect a harmless request gets) — never a 5xx; every
error under /api/ has the body {code, detail, fields}; nothing in the database changes.
"""

from __future__ import annotations

import json
import urllib.parse
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token

from backoffice import audit
from members.factories import OperatorFactory, create_member_with_history
from members.models import CorporateMember, Member, Operator, Society, Status
from tests.members.helpers import state

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "使用できない文字（NUL文字）が含まれています。"
BODY_METHODS = ("post", "put", "patch", "delete")
ALL_METHODS = ("get", "post", "put", "patch", "delete", "options", "head")
THREE_MB = 3 * 1024 * 1024
DEEP_JSON = "[" * 1000 + "]" * 1000
# Over-long values: invalid for every field of every form (so no request can change anything), and each
# a different trap: brackets 1,000 deep, 5,000 full-width digits (an integer too long for int()).
JUNK_VALUES = ("[" * 1000 + "]" * 1000, "９" * 5000)
BAD_IDS = ("abc", "-1", "9" * 30, "１")
MALFORMED_TOKENS = (
    "Token \x00" + "a" * 39, "Token " + "a" * 10_000, "Token " + "g" * 40, "Token " + "A" * 40, "Token",
    "Token a b", "Bearer " + "a" * 40, "Token ÿÿÿÿ", "\x00", "Token " + "a" * 39 + "\x00",
)
UNKNOWN_PATHS = ("/api/v1/nothing/", "/api/v2/members/", "/api/", "/api", "/api/v1/members/1/nothing/",
                 "/api/v1/members")


# --- the world every request is sent into -------------------------------------------------------------


@pytest.fixture
def world(society, regular_type, admin_op, staff_op):
    individual = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    corporate = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type, corporate=True,
                                           organization="株式会社アトラス製薬")
    superuser = OperatorFactory(society=None, role="admin", is_superuser=True, email="root@example.jp")
    entry = audit.record(actor="system: test", action="test.seeded", target=individual, society_id=society.pk)
    return SimpleNamespace(
        society=society, member_type=regular_type, individual=individual, corporate=corporate,
        status_entry=individual.statuses.order_by("effective_date").first(), admin_op=admin_op, staff_op=staff_op,
        superuser=superuser, token=Token.objects.create(user=admin_op).key, audit_entry=entry,
    )


def db_state() -> tuple:
    return state() + (Operator.objects.count(), Society.objects.count(), Token.objects.count())


@pytest.fixture
def unchanged(world):
    """Fails the test if anything in the database changed while it ran."""
    before = db_state()
    yield
    assert db_state() == before, "a refused request changed the database"


# --- every URL of the site ---------------------------------------------------------------------------------


def named_routes() -> list[tuple[str, frozenset[str]]]:
    """(namespaced name, keyword arguments) of every named URL pattern, the admin's included."""
    found = set()

    def walk(resolver, namespaces: list[str], kwargs: frozenset[str]) -> None:
        for pattern in resolver.url_patterns:
            names = kwargs | frozenset(pattern.pattern.regex.groupindex)
            if isinstance(pattern, URLResolver):
                walk(pattern, namespaces + ([pattern.namespace] if pattern.namespace else []), names)
            elif pattern.name:
                found.add((":".join(namespaces + [pattern.name]), names))

    walk(get_resolver(), [], frozenset())
    return sorted(found)


def admin_object_ids(world) -> dict[str, object]:
    """'<app_label>_<model_name>' → the id of a real object of that admin."""
    ids: dict[str, object] = {}
    for model in admin.site._registry:
        obj = model._default_manager.order_by("pk").first()
        ids[f"{model._meta.app_label}_{model._meta.model_name}"] = obj.pk if obj else 1
    ids.update({
        "members_member": world.individual.pk, "members_corporatemember": world.corporate.pk,
        "members_operator": world.staff_op.pk, "members_society": world.society.pk,
        "members_membertype": world.member_type.pk, "backoffice_auditentry": world.audit_entry.pk,
    })
    return ids


# billing's screens and endpoints also take invoice_id, member_id, payment_id, statement_id and row_id
BILLING_ID_KWARGS = {"invoice_id", "member_id", "payment_id", "statement_id", "row_id"}
ID_KWARGS = {"pk", "sid", "object_id"} | BILLING_ID_KWARGS
SENTINEL_ID = 987654321  # reversed into every id of a path, then replaced by the bad id under test


def kwarg_value(world, name: str, kwarg: str, ids: dict[str, object], bad_id=None):
    if bad_id is not None and kwarg in ID_KWARGS:
        return SENTINEL_ID
    if kwarg == "pk":
        return world.individual.pk
    if kwarg == "sid":
        return world.status_entry.pk
    if kwarg == "format":
        return "json"
    if kwarg == "app_label":
        return "members"
    if kwarg == "content_type_id":
        return ContentType.objects.get_for_model(Member).pk
    if kwarg == "token":
        return "no-such-link-token"  # a mail link's token (the sim API and the My Page simulator's link page)
    if kwarg in BILLING_ID_KWARGS:
        return 1
    if kwarg == "slug" and name in ("office-login", "office-password-reset", "office-password-reset-confirm"):
        return world.society.slug  # a society's operator sign-in page (SOC-4) and its password reset (seed 001 ④)
    if kwarg == "procedure_id":
        return "member_type_correction"  # a guided procedure's page (issue 14)
    if kwarg == "object_id" and name == "admin:view_on_site":
        return world.individual.pk
    if kwarg == "object_id":
        url_name = name.split(":")[-1]
        return next(obj_id for prefix, obj_id in ids.items() if url_name.startswith(prefix + "_"))
    raise AssertionError(f"no value for <{kwarg}> of {name}: teach this test the new route")


def site_urls(world, *, api: bool, bad_id=None) -> list[tuple[str, str]]:
    """(name, path) of every named route of the API (``api``) or of the rest of the site (admin, i18n)."""
    ids = admin_object_ids(world)
    urls = []
    for name, kwargs in named_routes():
        if bad_id is not None and not kwargs & ID_KWARGS:
            continue
        path = reverse(name, kwargs={k: kwarg_value(world, name, k, ids, bad_id) for k in kwargs})
        if bad_id is not None:
            path = path.replace(str(SENTINEL_ID), urllib.parse.quote(bad_id))
        if path.startswith("/api/") == api:
            urls.append((name, path))
    assert urls
    return urls


def api_urls(world, **kwargs):
    return site_urls(world, api=True, **kwargs)


def admin_urls(world, **kwargs):
    return site_urls(world, api=False, **kwargs)


def test_the_walk_finds_every_door(world):
    """The enumeration itself: it must reach the screens and endpoints named in the manual and API.md."""
    api = {path for _, path in api_urls(world)}
    m = world.individual.pk
    for path in ("/api/v1/auth/token/", "/api/v1/members/", f"/api/v1/members/{m}/",
                 f"/api/v1/members/{m}/statuses/", f"/api/v1/members/{m}/statuses/{world.status_entry.pk}/",
                 "/api/v1/members/bulk-status/", f"/api/v1/members/{m}/release-email/",
                 f"/api/v1/members/{m}/adjustments/", "/api/v1/member-numbers/pending/",
                 "/api/v1/member-numbers/assign/", "/api/v1/member-types/", "/api/schema/"):
        assert path in api
    screens = {path for _, path in admin_urls(world)}
    for path in ("/admin/", "/admin/login/", "/admin/members/member/", "/admin/members/member/numbers/",
                 f"/admin/members/member/{m}/change/", f"/admin/members/member/{m}/status/",
                 f"/admin/members/member/{m}/release-email/", f"/admin/members/member/{m}/adjustments/",
                 f"/admin/members/member/{m}/history/", "/admin/members/corporatemember/",
                 "/admin/members/operator/", "/admin/backoffice/auditentry/", "/admin/autocomplete/"):
        assert path in screens


# --- clients and checks ------------------------------------------------------------------------------------


def anonymous(**defaults) -> Client:
    return Client(raise_request_exception=False, enforce_csrf_checks=True, **defaults)


def token_client(world, token=None) -> Client:
    return anonymous(HTTP_AUTHORIZATION=f"Token {world.token}" if token is None else token)


def signed_in(operator) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(operator)
    return client


def send(client, method: str, path: str, **kwargs):
    if method in ("get", "head") and isinstance(kwargs.get("data"), str):
        kwargs.pop("data")  # a raw body only goes with the other methods; GET and HEAD take query parameters
        kwargs.pop("content_type", None)
    return getattr(client, method)(path, **kwargs)


def content_of(response) -> bytes:
    """The body, also of a streamed answer (a CSV download)."""
    return b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content


class Problems(list):
    """Every answer that breaks the contract, reported together at the end of the test."""

    def check(self, method: str, path: str, response, *, expect: set[int] | None = None, code: str | None = None):
        where = f"{method.upper()} {path[:120]} → {response.status_code}"
        text = content_of(response)[:300].decode("utf-8", "replace")
        if response.status_code >= 500:
            self.append(f"{where} server error: {text}")
            return None
        if expect is not None and response.status_code not in expect:
            self.append(f"{where} expected {sorted(expect)}: {text}")
            return None
        if path.startswith("/api") and response.status_code >= 400 and method != "head":
            if not response.get("Content-Type", "").startswith("application/json"):
                self.append(f"{where} not JSON: {text}")
                return None
            body = response.json()
            if set(body) != {"code", "detail", "fields"} or not body["detail"]:
                self.append(f"{where} not the error body: {text}")
                return None
            if code is not None and body["code"] != code:
                self.append(f"{where} code {body['code']} != {code}")
            return body
        return None

    def verify(self):
        assert not self, f"{len(self)} answers broke the contract:\n" + "\n".join(self[:40])


# --- API ----------------------------------------------------------------------------------------------------


def test_sec3_api_nul_in_the_query_string_is_400_naming_the_parameter(world, unchanged):
    problems = Problems()
    client = token_client(world)
    for _, path in api_urls(world):
        for method in ALL_METHODS:
            r = send(client, method, f"{path}?member_type=%00&q=a%00b")
            body = problems.check(method, path, r, expect={400}, code="invalid")
            if body is not None and body["fields"].get("member_type") != [NUL_MESSAGE]:
                problems.append(f"{method} {path}: {body}")
    problems.verify()


def test_sec3_api_nul_in_the_path_is_400(world, unchanged):
    problems = Problems()
    client = token_client(world)
    paths = [p for _, p in api_urls(world, bad_id="\x00")] + [p + "%00/" for _, p in api_urls(world)]
    for path in paths:
        for method in ALL_METHODS:
            problems.check(method, path, send(client, method, path), expect={400}, code="invalid")
    problems.verify()


def nul_everywhere_body() -> dict:
    """A JSON body with a NUL in every field any endpoint reads (names from the OpenAPI request bodies)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    names = set()
    for component in schema["components"]["schemas"].values():
        names.update(component.get("properties", {}))
    body: dict = {name: "x\x00" for name in names}
    body["assignments"] = [{"member": "\x00", "member_number": "1\x00"}]
    body["member_ids"] = ["\x00"]
    body["key\x00"] = "v"
    return body


def test_sec3_api_nul_in_a_json_body_is_400_naming_the_field(world, unchanged):
    problems = Problems()
    client = token_client(world)
    raw = json.dumps(nul_everywhere_body())
    for _, path in api_urls(world):
        for method in BODY_METHODS:
            r = send(client, method, path, data=raw, content_type="application/json")
            body = problems.check(method, path, r, expect={400, 405})
            if body is not None and r.status_code == 400:
                if body["fields"].get("name") != [NUL_MESSAGE] or body["fields"].get("key?") != [NUL_MESSAGE]:
                    problems.append(f"{method} {path}: NUL not named on its field: {body}")
    problems.verify()


def test_sec3_api_nul_in_a_form_body_is_400(world, unchanged):
    problems = Problems()
    client = token_client(world)
    for _, path in api_urls(world):
        for method in BODY_METHODS:
            r = send(client, method, path, data="name=x%00&member_type=%00&status=%00",
                     content_type="application/x-www-form-urlencoded")
            body = problems.check(method, path, r, expect={400, 405})
            if body is not None and r.status_code == 400 and body["fields"].get("member_type") != [NUL_MESSAGE]:
                problems.append(f"{method} {path}: {body}")
    problems.verify()


def test_sec3_api_json_nested_1000_deep_is_400(world, unchanged):
    problems = Problems()
    client = token_client(world)
    for _, path in api_urls(world):
        for method in BODY_METHODS:
            for raw in (DEEP_JSON, '{"name": ' + DEEP_JSON + "}", '{"assignments": ' + DEEP_JSON + "}"):
                r = send(client, method, path, data=raw, content_type="application/json")
                body = problems.check(method, path, r, expect={400, 405})
                if body is not None and r.status_code == 400 and "入れ子が深すぎます" not in body["detail"]:
                    problems.append(f"{method} {path}: {body}")
    problems.verify()


def test_sec3_api_3mb_body_is_413(world, unchanged):
    problems = Problems()
    client = token_client(world)
    big_json = json.dumps({"name": "x" * THREE_MB})
    big_form = "name=" + "x" * THREE_MB
    for _, path in api_urls(world):
        for method in BODY_METHODS:
            for raw, content_type in ((big_json, "application/json"),
                                      (big_form, "application/x-www-form-urlencoded")):
                r = send(client, method, path, data=raw, content_type=content_type)
                body = problems.check(method, path, r, expect={413, 405})
                if body is not None and r.status_code == 413 and body["code"] != "invalid":
                    problems.append(f"{method} {path}: {body}")
    problems.verify()


def test_sec3_api_malformed_tokens_are_401_everywhere(world, unchanged):
    problems = Problems()
    for _, path in api_urls(world):
        if not path.startswith("/api/v1/") or path.startswith("/api/v1/auth/"):
            continue  # the schema and its docs are public; signing in takes no token
        for token in MALFORMED_TOKENS:
            for method in ("get", "post", "patch"):
                r = send(token_client(world, token), method, path, data="{}", content_type="application/json")
                problems.check(method, f"{path} [{token[:12]!r}]", r, expect={401}, code="invalid_credentials")
    problems.verify()


def test_sec3_api_junk_query_values_never_fail(world, unchanged):
    problems = Problems()
    client = token_client(world)
    for _, path in api_urls(world):
        for junk in JUNK_VALUES + ("9" * 30, "-1"):
            query = {k: junk for k in ("q", "email", "member_number", "status", "member_type", "apass_linked", "kind",
                                       "page", "page_size", "format")}
            problems.check("get", path, client.get(path, query))
    problems.verify()


@pytest.mark.parametrize("method", ALL_METHODS)
def test_sec3_unknown_api_paths_are_json_404_for_every_method(world, unchanged, method):
    """With CSRF enforced as in a browser, signed in by session or by token, or not at all: never Django's
    HTML 'CSRF cookie not set' 403, always the JSON 404."""
    session = signed_in(world.staff_op)
    session.handler.enforce_csrf_checks = True
    problems = Problems()
    for client in (anonymous(), token_client(world), session):
        for path in UNKNOWN_PATHS:
            r = send(client, method, path, data="{}", content_type="application/json")
            problems.check(method, path, r, expect={404}, code="not_found")
            if method == "head" and not r.get("Content-Type", "").startswith("application/json"):
                problems.append(f"HEAD {path}: {r.get('Content-Type')}")
    problems.verify()


def test_sec3_api_errors_stay_json_with_debug_on(world, unchanged, settings):
    """A developer's server (DJANGO_DEBUG=1) runs with DEBUG on: its API answers must not turn into Django's debug
    pages."""
    settings.DEBUG = True
    problems = Problems()
    client = token_client(world)
    for _, path in api_urls(world):
        problems.check("get", path, client.get(path + "?q=%00"), expect={400}, code="invalid")
        r = client.post(path, data=DEEP_JSON, content_type="application/json")
        problems.check("post", path, r, expect={400, 405}, code="invalid" if r.status_code == 400 else None)
        r = client.post(path, data=json.dumps({"name": "x" * THREE_MB}), content_type="application/json")
        problems.check("post", path, r, expect={413, 405})
    for path in UNKNOWN_PATHS:
        problems.check("post", path, anonymous().post(path), expect={404}, code="not_found")
    problems.verify()


# --- admin and the rest of the site ------------------------------------------------------------------------


class FieldNames(HTMLParser):
    """The names of every input, select and textarea of a page."""

    def __init__(self):
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and attrs.get("name") and attrs.get("name") != "csrfmiddlewaretoken":
            self.names.add(attrs["name"])


def field_names(html: bytes) -> set[str]:
    parser = FieldNames()
    parser.feed(html.decode("utf-8", "replace"))
    return parser.names


def assert_japanese_page(problems: Problems, method: str, path: str, response, text: str) -> None:
    html = response.content.decode()
    if text not in html or 'lang="ja"' not in html or "学会事務局画面" not in html:
        problems.append(f"{method} {path} → {response.status_code}: not the Japanese page with {text!r}")


def test_sec3_admin_nul_in_query_path_and_form_is_a_japanese_400_page(world, unchanged):
    problems = Problems()
    for name, path in admin_urls(world):
        client = signed_in(world.admin_op)
        for method, target, data in (
            ("get", f"{path}?q=%00&member_type=%00&term=%00", None),
            ("get", path + "%00/", None),
            ("post", path, {"name": "x\x00", "email": "\x00", "note": "a\x00", ACTION_CHECKBOX_NAME: "\x00"}),
        ):
            r = send(client, method, target, **({"data": data} if data else {}))
            problems.check(method, target, r, expect={400})
            if r.status_code == 400:
                assert_japanese_page(problems, method, target, r, "使用できない文字")
    for _, path in admin_urls(world, bad_id="\x00"):
        problems.check("get", path, signed_in(world.admin_op).get(path), expect={400})
    problems.verify()


def test_sec3_admin_3mb_form_is_a_japanese_413_page(world, unchanged):
    problems = Problems()
    for _, path in admin_urls(world):
        r = signed_in(world.admin_op).post(path, {"name": "x" * THREE_MB})
        problems.check("post", path, r, expect={413})
        if r.status_code == 413:
            assert_japanese_page(problems, "post", path, r, "上限")
    problems.verify()


@pytest.mark.parametrize("who", ["admin_op", "superuser"])
def test_sec3_admin_junk_in_every_form_field_never_fails(world, unchanged, who):
    """Each screen is opened, and every field it shows is sent back holding junk."""
    operator = getattr(world, who)
    problems = Problems()
    for name, path in admin_urls(world):
        client = signed_in(operator)
        page = client.get(path)
        problems.check("get", path, page)
        names = field_names(content_of(page)) if page.status_code == 200 else {"name", "email"}
        if "post" in names:
            continue  # a delete confirmation: any POST there is the "yes" itself (only the superuser's tokens)
        for junk in JUNK_VALUES:
            r = client.post(path, {n: junk for n in names} | {"index": "0"})
            problems.check("post", f"{path} {sorted(names)[:6]}", r)
    problems.verify()


def test_sec3_admin_bad_object_ids_never_fail(world, unchanged):
    problems = Problems()
    for bad_id in BAD_IDS:
        for _, path in admin_urls(world, bad_id=bad_id):
            client = signed_in(world.admin_op)
            for method in ("get", "post"):
                problems.check(method, path, send(client, method, path))
    problems.verify()


def test_sec3_admin_actions_on_a_bad_selection_never_fail(world, unchanged):
    """A changelist's actions, with selected ids that are not ids; then each action's own form with junk."""
    problems = Problems()
    for model, model_admin in admin.site._registry.items():
        if model not in (Member, CorporateMember):
            continue
        info = model._meta.app_label, model._meta.model_name
        path = reverse("admin:%s_%s_changelist" % info)
        real_id = world.corporate.pk if model is CorporateMember else world.individual.pk
        client = signed_in(world.admin_op)
        for action in ("bulk_status_action", "delete_selected", "no_such_action", "\u3000"):
            for bad_id in BAD_IDS:
                r = client.post(path, {"action": action, ACTION_CHECKBOX_NAME: [bad_id], "index": "0"})
                problems.check("post", f"{path} {action} {bad_id}", r)
            step = client.post(path, {"action": action, ACTION_CHECKBOX_NAME: [real_id], "index": "0"})
            problems.check("post", f"{path} {action}", step)
            if step.status_code == 200:
                names = field_names(content_of(step)) - {"action", ACTION_CHECKBOX_NAME}
                for junk in JUNK_VALUES:
                    r = client.post(path, {"action": action, ACTION_CHECKBOX_NAME: [real_id], "apply": "1",
                                           **{n: junk for n in names}})
                    problems.check("post", f"{path} {action} form", r)
    problems.verify()


@pytest.mark.parametrize("method", ALL_METHODS)
def test_sec3_unknown_site_paths_never_fail(world, unchanged, method):
    problems = Problems()
    for client in (anonymous(), signed_in(world.admin_op)):
        for path in ("/admin/nothing/here/", "/admin/members/nothing/", "/nothing/", "/admin/members/member/1/x/"):
            r = send(client, method, path)
            problems.check(method, path, r, expect={301, 302, 403, 404})
            if r.status_code == 404 and method != "head":
                assert_japanese_page(problems, method, path, r, "ページが見つかりません")
            if r.status_code == 403:  # the admin's CSRF check, before it looks at the path
                assert_japanese_page(problems, method, path, r, "CSRF検証に失敗しました")
    problems.verify()


# --- cookies -------------------------------------------------------------------------------------------------


def all_urls(world) -> list[str]:
    return [p for _, p in api_urls(world)] + [p for _, p in admin_urls(world)]


def test_sec3_nul_in_a_session_cookie_is_400_and_the_cookie_is_deleted(world, unchanged):
    """Even signed out: the browser is told to drop the cookie, so the next request works again."""
    problems = Problems()
    cases = (("sessionid=abcdefgh\x00ijklmnop", "sessionid"), ("sessionid=\x00", "sessionid"),
             ("csrftoken=\x00; sessionid=abcdefghijklmnop", "csrftoken"))
    for path in all_urls(world):
        for header, bad in cases:
            for method in ("get", "post"):
                r = send(anonymous(HTTP_COOKIE=header), method, path)
                body = problems.check(method, f"{path} [{header!r}]", r, expect={400}, code="invalid")
                if r.status_code == 400 and (bad not in r.cookies or r.cookies[bad]["max-age"] != 0):
                    problems.append(f"{method} {path} [{header!r}]: the cookie {bad} was not deleted")
                if body is not None and "Cookie" not in body["detail"]:
                    problems.append(f"{method} {path}: {body}")
    problems.verify()


def test_sec3_garbage_session_cookie_is_simply_signed_out(world, unchanged):
    problems = Problems()
    for path in all_urls(world):
        for cookie in ("sessionid=" + "z" * 5000, "sessionid=%ff%fe", "sessionid=\"\\\"", "sessionid="):
            r = anonymous(HTTP_COOKIE=cookie).get(path)
            expect = {200, 401, 403, 404, 405} if path.startswith("/api/") else {200, 302, 403, 404, 405}
            problems.check("get", f"{path} [{cookie[:20]!r}]", r, expect=expect)
            if path.startswith("/api/v1/members") and r.status_code != 401:
                problems.append(f"GET {path}: a garbage session signed someone in ({r.status_code})")
    problems.verify()
