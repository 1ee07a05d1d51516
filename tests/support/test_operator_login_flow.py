"""The ``operator-login`` flow (SUP-2, seed 001; issue 16 §3): causes ①–⑥ in the manual's order, each answered from
the operator sign-in log and the records — the agent is asked nothing — reached through the API and the console."""

import re

import pytest
from django.test import Client

from members import services as member_services
from members.factories import OperatorFactory
from members.models import Operator

from .conftest import CASES

pytestmark = pytest.mark.django_db
PASSWORD = "password-123"


def office(client, society, email, password=PASSWORD):
    return client.post(f"/office/{society.slug}/login/", {"username": email, "password": password})


def _cause1(sandbox, agent, other):
    op = OperatorFactory(society=sandbox, role="staff", email="op1@training.example.jp")
    Client().post("/login/", {"society": sandbox.slug, "username": op.email, "password": PASSWORD})
    return op.email


def _cause1_other_page(sandbox, agent, other):
    op = OperatorFactory(society=sandbox, role="staff", email="op1b@training.example.jp")
    office(Client(), other, op.email)
    return op.email


def _cause2(sandbox, agent, other):
    op = OperatorFactory(society=sandbox, role="staff", email="op2@training.example.jp")
    browser = Client()
    office(browser, sandbox, op.email)
    colleague = OperatorFactory(society=sandbox, role="staff", email="op2-colleague@training.example.jp")
    office(browser, sandbox, colleague.email)  # the same browser: ends op2's sign-in (SOC-6)
    return op.email


def _cause3(sandbox, agent, other):
    op = OperatorFactory(society=sandbox, role="staff", email="op3@training.example.jp")
    legacy = OperatorFactory(society=sandbox, role="staff", email="op3-legacy@training.example.jp")
    Operator.objects.filter(pk=legacy.pk).update(email="Op3@training.example.jp", username="legacy-op3")
    office(Client(), sandbox, op.email)
    return op.email


def _cause4(sandbox, agent, other):
    op = OperatorFactory(society=sandbox, role="staff", email="op4@training.example.jp")
    for _ in range(3):
        office(Client(), sandbox, op.email, "wrong-pass")
    return op.email


def _cause5(sandbox, agent, other):
    admin = OperatorFactory(society=sandbox, role="admin", email="op5-admin@training.example.jp")
    op = OperatorFactory(society=sandbox, role="staff", email="op5@training.example.jp")
    member_services.operator_delete(actor=admin, operator=op)
    office(Client(), sandbox, op.email)
    return op.email


def _cause6(sandbox, agent, other):
    op = OperatorFactory(society=sandbox, role="staff", email="op6@training.example.jp")
    sandbox.contract_status = "suspended"
    sandbox.save()
    office(Client(), sandbox, op.email)
    return op.email


def _not_registered(sandbox, agent, other):
    office(Client(), sandbox, "nobody@training.example.jp")
    return "nobody@training.example.jp"


def _try_again(sandbox, agent, other):
    return OperatorFactory(society=sandbox, role="staff", email="op-quiet@training.example.jp").email


def _unresolved(sandbox, agent, other):
    op = OperatorFactory(society=sandbox, role="staff", email="op-ok@training.example.jp")
    office(Client(), sandbox, op.email)  # signs in fine: the records show no cause
    return op.email


ROWS = [("cause1", _cause1, "wrong_page"), ("cause1", _cause1_other_page, "wrong_page"),
        ("cause2", _cause2, "session_ended"), ("cause3", _cause3, "duplicate_email"),
        ("cause4", _cause4, "wrong_password"), ("cause5", _cause5, "deleted"),
        ("cause6", _cause6, "contract_inactive"), ("not_registered", _not_registered, "deleted"),
        ("try_again", _try_again, "attempted"), ("unresolved", _unresolved, "attempted")]


@pytest.mark.parametrize(("outcome", "build", "deciding"), ROWS, ids=[b.__name__.strip("_") for _, b, _ in ROWS])
def test_sup2_operator_login_reaches_each_cause_from_the_records(outcome, build, deciding, sandbox, agent,
                                                                  agent_api, other_society):
    email = build(sandbox, agent, other_society)
    if outcome == "cause6":
        # the society's own agents cannot sign in any more (SOC-5): the platform's superuser reads the case, through
        # the same service and answer the API gives
        from support import selectors, services

        root = Operator.objects.create_superuser(username="root@example.jp", password="root-pass-123")
        case = selectors.case_detail(services.case_create(actor=root, society=sandbox, flow="operator-login",
                                                          operator_email=email))
    else:
        r = agent_api.post(CASES, {"flow": "operator-login", "operator_email": email}, format="json")
        assert r.status_code == 201, r.json()
        case = r.json()
    assert case["status"] == "resolved" and case["current"]["kind"] == "outcome"
    assert case["outcome"]["code"] == outcome
    assert all(step["source"] == "record" for step in case["path"])  # nothing asked of the caller
    facts = {f["node"]: f for f in case["facts"]}
    assert facts[deciding]["evidence"]
    order = ["wrong_page", "session_ended", "duplicate_email", "wrong_password", "deleted", "contract_inactive",
             "attempted"]
    assert [s["node"] for s in case["path"]] == order[:order.index(deciding) + 1]  # ① first, in the manual's order


def test_sup2_operator_login_needs_the_operators_email(agent_api):
    r = agent_api.post(CASES, {"flow": "operator-login"}, format="json")
    assert r.status_code == 400 and "operator_email" in r.json()["fields"]


def test_sup2_cause6_outcome_says_seed001_message_word_for_word():
    from support.flows import SHIPPED

    assert "「メールアドレスとパスワードの組み合わせに対応するログイン情報が登録されていません。」" in \
        SHIPPED["operator-login"]["nodes"]["cause6"]["text"]
    assert SHIPPED["operator-login"]["nodes"]["unresolved"].get("escalates") is True


def test_sup2_console_starts_operator_login_from_an_operators_email(client, sandbox, agent):
    email = _cause4(sandbox, agent, None)
    client.force_login(agent)
    page = client.get("/admin/support/start/").content.decode()
    assert 'id="start-operator"' in page
    chosen = client.get("/admin/support/start/", {"operator_email": email}).content.decode()
    assert 'value="operator-login"' in chosen and 'value="login-trouble"' not in chosen
    r = client.post("/admin/support/start/", {"operator_email": email, "flow": "operator-login"})
    assert r.status_code == 302
    case_page = client.get(r.url).content.decode()
    assert "原因④:オペレーターのパスワード入力違い" in case_page and email in case_page
    assert re.search(r"パスワード誤り 3回", case_page)


def test_sim3_scenario_operators_each_reach_their_cause_from_the_scenario_list(client, sandbox, sandbox_type):
    from simulator import operator_scenarios, scenarios

    trainer = OperatorFactory(society=sandbox, role="trainer", email="trainer@training.example.jp")
    scenarios.scenarios_reset(actor=trainer, society=sandbox)
    client.force_login(trainer)
    page = client.get("/admin/simulation/scenarios/").content.decode()
    table = page[page.index('id="operator-scenario-table"'):]
    for scenario in operator_scenarios.SCENARIOS:
        address = operator_scenarios.email(sandbox, scenario.local)
        assert f'name="operator_email" value="{address}"' in table
        r = client.post("/admin/support/start/", {"operator_email": address, "flow": "operator-login"})
        assert r.status_code == 302, scenario.key
        from support.models import Case

        case = Case.objects.get(pk=int(r.url.rstrip("/").split("/")[-1]))
        assert case.outcome == scenario.cause, scenario.key
        # and the same through the API
        from .conftest import client_for

        answer = client_for(trainer).post(CASES, {"flow": "operator-login", "operator_email": address}, format="json")
        assert answer.status_code == 201 and answer.json()["outcome"]["code"] == scenario.cause, scenario.key
    # a second reset rebuilds them (nothing left over, no duplicate refused)
    scenarios.scenarios_reset(actor=trainer, society=sandbox)
    assert len(operator_scenarios.rows(sandbox)) == len(operator_scenarios.SCENARIOS) + 1  # and 原因⑥


# --- 原因⑥ from its scenario operator: the sandbox's suspended companion, the platform's help desk ---------------------


@pytest.fixture
def built_scenarios(sandbox, sandbox_type):
    from simulator import scenarios

    trainer = OperatorFactory(society=sandbox, role="trainer", email="trainer@training.example.jp")
    scenarios.scenarios_reset(actor=trainer, society=sandbox)
    return trainer


@pytest.fixture
def platform_root(db):
    return Operator.objects.create_superuser(username="root@example.jp", password="root-pass-123")


def _cause6_operator(sandbox):
    from simulator import operator_scenarios

    other = operator_scenarios.companion(sandbox)
    return other, operator_scenarios.email(sandbox, operator_scenarios.CAUSE6.local)


def test_soc5_cause6_scenario_operator_is_refused_with_seed001_message(built_scenarios, sandbox):
    from members.models import OperatorSignIn

    other, address = _cause6_operator(sandbox)
    assert other.contract_status == "suspended" and other.is_sandbox and sandbox.contract_status == "active"
    # the scenario's own attempt is in the log, refused for the contract
    assert OperatorSignIn.objects.filter(society=other, email_key=address).latest("pk").reason == "contract_inactive"
    browser = Client()
    r = office(browser, other, address, "scenario-op-2026")
    assert "メールアドレスとパスワードの組み合わせに対応するログイン情報が登録されていません。" in r.content.decode()
    assert "_auth_user_id" not in browser.session


def test_sup2_cause6_from_its_scenario_operator_through_the_api(built_scenarios, sandbox, platform_root):
    from .conftest import client_for

    other, address = _cause6_operator(sandbox)
    root = client_for(platform_root)
    r = root.post(CASES, {"flow": "operator-login", "operator_email": address, "society": other.slug}, format="json")
    assert r.status_code == 201, r.json()
    case = r.json()
    assert case["outcome"]["code"] == "cause6" and case["status"] == "resolved"
    assert all(step["source"] == "record" for step in case["path"])
    assert {f["node"]: f for f in case["facts"]}["contract_inactive"]["evidence"]
    # the platform's account names the society; it starts no case about members
    r = root.post(CASES, {"flow": "operator-login", "operator_email": address}, format="json")
    assert r.status_code == 400 and "society" in r.json()["fields"]
    r = root.post(CASES, {"flow": "operator-login", "operator_email": address, "society": "no-such"}, format="json")
    assert r.status_code == 400 and "society" in r.json()["fields"]
    r = root.post(CASES, {"flow": "login-trouble", "email": "x@example.jp", "society": sandbox.slug}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


def test_sup2_an_operator_names_no_other_society_for_a_case(sandbox, agent_api, other_society):
    r = agent_api.post(CASES, {"flow": "operator-login", "operator_email": "x@example.jp",
                               "society": other_society.slug}, format="json")
    assert r.status_code == 400 and "society" in r.json()["fields"]
    r = agent_api.post(CASES, {"flow": "operator-login", "operator_email": "x@example.jp", "society": sandbox.slug},
                       format="json")
    assert r.status_code == 201


def test_sup2_cause6_from_its_scenario_operator_through_the_console(client, built_scenarios, sandbox, platform_root):
    other, address = _cause6_operator(sandbox)
    # the trainer's シナリオ一覧 names the companion and who starts the case
    client.force_login(built_scenarios)
    page = client.get("/admin/simulation/scenarios/").content.decode()
    row = page[page.index('class="scenario-operator_cause6"'):]
    row = row[:row.index("</tr>")]
    assert address in row and other.name in row and f"/office/{other.slug}/login/" in row
    assert 'name="operator_email"' not in row  # not startable in the sandbox: it would diagnose the wrong society
    client.force_login(platform_root)
    start = client.get("/admin/support/start/").content.decode()
    assert 'id="start-society-input"' in start and f'value="{other.slug}"' in start
    chosen = client.get("/admin/support/start/", {"society": other.slug, "operator_email": address}).content.decode()
    assert 'value="operator-login"' in chosen and 'value="login-trouble"' not in chosen
    assert f'name="society" value="{other.slug}"' in chosen and other.name in chosen
    r = client.post("/admin/support/start/", {"society": other.slug, "operator_email": address,
                                              "flow": "operator-login"})
    assert r.status_code == 302
    case_page = client.get(r.url).content.decode()
    assert "「メールアドレスとパスワードの組み合わせに対応するログイン情報が登録されていません。」" in case_page
    # without a society the platform's page says what is missing and starts nothing
    r = client.post("/admin/support/start/", {"operator_email": address, "flow": "operator-login"})
    assert r.status_code == 302 and r.url == "/admin/support/start/"
