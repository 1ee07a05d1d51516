"""SUP-10 (and SUP-5's dashboard): what the cases teach — ``GET /api/v1/support/stats/`` (API.md "What the cases
teach") and the page 「サポートの集計」: cases started in the period, per outcome resolved / escalated / open (escalated
read from the outcome's ``"escalates": true`` in the case's pinned version), drop-off per node, the median time per
node, the share the record answered; version and period filters on the society clock, another society's cases never
counted, bad parameters 400 naming the field, bounded queries."""

from __future__ import annotations

import copy
import datetime
import re
import zoneinfo

import pytest
from django.test import Client

from members.factories import OperatorFactory, SocietyFactory
from support import engine, registry, services
from support.flows import SHIPPED
from support.models import Case, CaseStep, FlowVersion

from .conftest import CASES, start_case

pytestmark = pytest.mark.django_db

STATS = "/api/v1/support/stats/"
PAGE = "/admin/support/stats/"
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
T0 = datetime.datetime(2026, 4, 1, 10, 0, tzinfo=TOKYO)
SHIPPED_VERSION = SHIPPED["login-trouble"]["version"]


def versions() -> tuple[FlowVersion, FlowVersion]:
    """login-trouble as shipped (no outcome escalates) and a newer version in which F escalates."""
    services.flows_publish(actor="system: test")
    newer = copy.deepcopy(SHIPPED["login-trouble"])
    newer["version"] = SHIPPED_VERSION + 1
    newer["nodes"]["F"]["escalates"] = True
    services.flow_publish(actor="system: test", definition=newer)
    return (FlowVersion.objects.get(flow="login-trouble", version=SHIPPED_VERSION),
            FlowVersion.objects.get(flow="login-trouble", version=SHIPPED_VERSION + 1))


def make_case(society, version, *, at=T0, outcome="", status=None, node="", steps=()) -> Case:
    """A case as the services leave it, with controlled timestamps: ``steps`` are ``(node, source, seconds after
    the start, superseded?)``."""
    if status is None:
        status = Case.Status.RESOLVED if outcome else Case.Status.OPEN
    case = Case.objects.create(society=society, flow_version=version, status=status, outcome=outcome,
                               current_node=node or outcome, created_by_label="test", created_at=at, updated_at=at)
    CaseStep.objects.bulk_create([
        CaseStep(case=case, node=n, source=source, superseded=gone, at=at + datetime.timedelta(seconds=s),
                 by_label="test", answer=True) for n, source, s, *rest in steps for gone in [bool(rest and rest[0])]])
    return case


def stats(api, **params) -> dict:
    response = api.get(STATS, {"flow": "login-trouble", **params})
    assert response.status_code == 200, response.content
    return response.json()


def outcome_rows(body) -> dict:
    return {row["code"]: (row["count"], row["resolved"], row["escalated"], row["open"]) for row in body["outcomes"]}


def test_sup10_counts_per_outcome_and_status_escalated_from_the_pinned_version(society, api):
    v1, v2 = versions()
    for _ in range(2):
        make_case(society, v1, outcome="F")  # v1's F does not escalate
    for _ in range(3):
        make_case(society, v2, outcome="F")  # v2's F escalates
    make_case(society, v2, outcome="A")
    make_case(society, v2, outcome="F", status=Case.Status.OPEN)  # reached F, still open
    make_case(society, v1, node="email_usable")
    body = stats(api)
    assert body["flow"] == "login-trouble"
    assert body["cases"] == 8
    assert outcome_rows(body) == {"F": (6, 2, 3, 1), "A": (1, 1, 0, 0)}
    assert [r["code"] for r in body["outcomes"]] == ["F", "A"]  # most frequent first
    assert set(body) == {"flow", "cases", "outcomes", "drop_off", "node_time", "answered_by_record"}


def test_sup10_drop_off_counts_cases_without_outcome_where_they_stopped(society, api):
    v1, _v2 = versions()
    for _ in range(3):
        make_case(society, v1, node="email_usable", steps=[("apass_linked", "record", 0)])
    make_case(society, v1, node="knows_password", steps=[("apass_linked", "record", 0), ("email_usable", "caller", 5)])
    make_case(society, v1, node="readmit")
    make_case(society, v1, outcome="C", steps=[("apass_linked", "record", 0), ("email_usable", "caller", 5)])
    body = stats(api)
    assert body["drop_off"] == [{"node": "email_usable", "count": 3}, {"node": "knows_password", "count": 1},
                                {"node": "readmit", "count": 1}]
    assert body["cases"] == 6


def test_sup10_node_time_is_the_median_between_reaching_a_node_and_answering_it(society, api):
    v1, _v2 = versions()
    for seconds in (30, 90, 60):  # email_usable reached with the facts at 0 s, answered after 30 / 90 / 60 s
        make_case(society, v1, outcome="D", steps=[("sign_ins", "record", 0), ("apass_linked", "record", 0),
                                                   ("email_usable", "caller", seconds),
                                                   ("knows_password", "caller", seconds + 12)])
    # a question the case starts with is reached when the case starts; an answer later stepped back from counts
    make_case(society, v1, node="knows_password", steps=[("readmit", "caller", 40, True), ("readmit", "caller", 50)])
    body = stats(api)
    assert body["node_time"] == [{"node": "readmit", "median_seconds": 25.0},  # 40 and then 10 after it
                                 {"node": "email_usable", "median_seconds": 60.0},
                                 {"node": "knows_password", "median_seconds": 12.0}]
    # the record answered 6 of the 13 steps that still hold
    assert body["answered_by_record"] == round(6 / 13, 4)


def test_sup10_time_per_node_from_real_cases_on_the_simulation_clock(sandbox, showcase_members, agent_api, agent):
    case = start_case(agent_api, showcase_members["C"])  # identity confirmed; waits at email_usable
    assert case["current"]["node"] == "email_usable"
    sandbox.refresh_from_db()
    sandbox.clock_offset += datetime.timedelta(minutes=2)  # SIM-1: the agent and the caller talk for two minutes
    sandbox.save(update_fields=["clock_offset"])
    response = agent_api.post(f"{CASES}{case['id']}/answer/", {"node": "email_usable", "answer": "yes"}, format="json")
    assert response.json()["outcome"]["code"] == "C"
    start_case(agent_api, showcase_members["D"])  # left open at email_usable
    body = stats(agent_api)
    assert body["cases"] == 2
    assert outcome_rows(body) == {"C": (1, 1, 0, 0)}
    assert body["drop_off"] == [{"node": "email_usable", "count": 1}]
    times = {row["node"]: row["median_seconds"] for row in body["node_time"]}
    assert 119 <= times["email_usable"] <= 125
    assert 0 < body["answered_by_record"] < 1


def test_sup10_version_filter(society, api):
    v1, v2 = versions()
    make_case(society, v1, outcome="F")
    make_case(society, v2, outcome="F")
    make_case(society, v2, node="readmit")
    assert outcome_rows(stats(api, version=SHIPPED_VERSION)) == {"F": (1, 1, 0, 0)}
    only_v2 = stats(api, version=SHIPPED_VERSION + 1)
    assert only_v2["cases"] == 2 and outcome_rows(only_v2) == {"F": (1, 0, 1, 0)}
    assert stats(api)["cases"] == 3


def test_sup10_period_is_of_case_creation_on_the_society_clock(society, api):
    v1, _v2 = versions()
    late = datetime.datetime(2026, 4, 1, 23, 30, tzinfo=TOKYO)  # 14:30 UTC: still 1 April in Tokyo
    make_case(society, v1, at=late, outcome="A")
    make_case(society, v1, at=late + datetime.timedelta(hours=1), outcome="C")  # 2 April 00:30 in Tokyo
    make_case(society, v1, at=datetime.datetime(2026, 3, 31, 9, 0, tzinfo=TOKYO), outcome="D")
    assert outcome_rows(stats(api, **{"from": "2026-04-01", "to": "2026-04-01"})) == {"A": (1, 1, 0, 0)}
    assert set(outcome_rows(stats(api, **{"from": "2026-04-02"}))) == {"C"}
    assert set(outcome_rows(stats(api, to="2026-04-01"))) == {"A", "D"}
    assert stats(api, **{"from": "2026-05-01"})["cases"] == 0


def test_sup10_another_societys_cases_are_never_counted(society, other_society, api, other_api):
    v1, v2 = versions()
    make_case(society, v1, outcome="A")
    for _ in range(4):
        make_case(other_society, v2, outcome="F", steps=[("readmit", "caller", 9)])
    mine = stats(api)
    assert mine["cases"] == 1 and outcome_rows(mine) == {"A": (1, 1, 0, 0)} and mine["node_time"] == []
    theirs = stats(other_api)
    assert theirs["cases"] == 4 and outcome_rows(theirs) == {"F": (4, 0, 4, 0)}


def test_sup10_every_role_reads_the_stats_and_nobody_unsigned(society, viewer_api):
    v1, _v2 = versions()
    make_case(society, v1, outcome="A")
    assert stats(viewer_api)["cases"] == 1
    from rest_framework.test import APIClient

    assert APIClient().get(STATS, {"flow": "login-trouble"}).status_code == 401


@pytest.mark.parametrize("params, field", [
    ({}, "flow"),
    ({"flow": ""}, "flow"),
    ({"flow": "no-such-flow"}, "flow"),
    ({"flow": "x" * 500}, "flow"),
    ({"flow": "login-trouble", "version": "one"}, "version"),
    ({"flow": "login-trouble", "version": "0"}, "version"),
    ({"flow": "login-trouble", "version": "99"}, "version"),
    ({"flow": "login-trouble", "version": "9" * 40}, "version"),
    ({"flow": "login-trouble", "from": "2026-13-01"}, "from"),
    ({"flow": "login-trouble", "to": "yesterday"}, "to"),
    ({"flow": "login-trouble", "from": "2026-04-02", "to": "2026-04-01"}, "to"),
])
def test_sup10_bad_parameters_answer_400_naming_the_field(society, api, params, field):
    versions()
    response = api.get(STATS, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"] and body["detail"]


def test_sup10_unknown_flow_message_is_japanese(api):
    body = api.get(STATS, {"flow": "no-such-flow"}).json()
    assert body["fields"]["flow"] == ["不明なフローです: no-such-flow"]


def test_sup10_stats_queries_do_not_grow_with_the_cases(society, api, django_assert_num_queries):
    v1, v2 = versions()

    def some(n):
        for i in range(n):
            make_case(society, v1 if i % 2 else v2, outcome="F" if i % 3 else "",  node="" if i % 3 else "readmit",
                      steps=[("apass_linked", "record", 0), ("readmit", "caller", 10 + i)])

    some(3)
    api.get(STATS, {"flow": "login-trouble"})  # the operator's society, once per request
    with django_assert_num_queries(4):  # the versions, the cases grouped, the steps counted, the answers' times
        assert api.get(STATS, {"flow": "login-trouble"}).status_code == 200
    some(30)
    with django_assert_num_queries(4):
        assert api.get(STATS, {"flow": "login-trouble"}).json()["cases"] == 33


def test_sup10_engine_check_accepts_a_boolean_escalates_only():
    definition = copy.deepcopy(SHIPPED["login-trouble"])
    definition["nodes"]["F"]["escalates"] = True
    assert engine.check(definition, facts=registry.FACTS, actions=registry.ACTIONS) == []
    definition["nodes"]["F"]["escalates"] = "yes"
    assert engine.check(definition, facts=registry.FACTS, actions=registry.ACTIONS) == [
        "F: escalates is true or false"]


# --- the page 「サポートの集計」 -----------------------------------------------------------------------------------


def page_client(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def test_sup10_dashboard_shows_outcomes_drop_off_time_and_share_as_svg(society, viewer_op):
    v1, v2 = versions()
    make_case(society, v2, outcome="F", steps=[("apass_linked", "record", 0), ("email_usable", "caller", 30),
                                               ("knows_password", "caller", 45)])
    make_case(society, v1, outcome="A", steps=[("apass_linked", "record", 0), ("status", "record", 0)])
    make_case(society, v1, node="email_usable", steps=[("apass_linked", "record", 0)])
    client = page_client(viewer_op)  # every role reads the dashboard
    response = client.get(PAGE, {"flow": "login-trouble"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "サポートの集計" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="stats-bars"') == 3  # outcomes, drop-off, time
    rows = dict(re.findall(r'<tr data-outcome="([^"]+)">(.*?)</tr>', html, re.S))
    assert set(rows) == {"F", "A"}
    assert re.findall(r'class="num">(\d+)<', rows["F"]) == ["1", "0", "1", "0"]  # count, resolved, escalated, open
    assert 'data-drop-off="email_usable"' in html
    assert 'data-node-time="email_usable"' in html and "30秒" in html
    assert re.search(r'id="stats-record-share">67%<', html)  # the record answered 4 of the 6 steps
    assert 'id="stats-cases">3<' in html


def test_sup10_dashboard_filters_and_bad_input_without_500(society, staff_op):
    v1, v2 = versions()
    make_case(society, v1, outcome="A")
    make_case(society, v2, outcome="F")
    client = page_client(staff_op)
    html = client.get(PAGE, {"flow": "login-trouble", "version": SHIPPED_VERSION + 1}).content.decode()
    assert 'id="stats-cases">1<' in html and 'data-outcome="F"' in html and 'data-outcome="A"' not in html
    html = client.get(PAGE, {"flow": "login-trouble", "from": "2099-01-01"}).content.decode()
    assert 'id="stats-cases">0<' in html
    for bad in ({"flow": "nope"}, {"flow": "login-trouble", "version": "x"}, {"from": "2026-99-99"},
                {"flow": "login-trouble", "from": "2026-04-02", "to": "2026-04-01"}):
        response = client.get(PAGE, bad)
        assert response.status_code == 200 and 'class="errorlist' in response.content.decode()
    assert 'id="stats-cases">2<' in client.get(PAGE).content.decode()  # no parameters: the first flow, all time


def test_sup10_dashboard_queries_are_bounded(society, staff_op, django_assert_max_num_queries):
    v1, v2 = versions()
    client = page_client(staff_op)
    for i in range(40):
        make_case(society, v1 if i % 2 else v2, outcome="F" if i % 3 else "", node="" if i % 3 else "readmit",
                  steps=[("apass_linked", "record", 0), ("readmit", "caller", 10 + i)])
    client.get(PAGE, {"flow": "login-trouble"})
    with django_assert_max_num_queries(9):  # session, operator, flows, versions, cases grouped, steps, answers
        assert client.get(PAGE, {"flow": "login-trouble"}).status_code == 200


def test_sup10_dashboard_is_linked_from_the_menu_and_the_case_list(society, viewer_op):
    client = page_client(viewer_op)
    assert f'href="{PAGE}"' in client.get("/admin/").content.decode()
    assert f'href="{PAGE}"' in client.get("/admin/support/cases/").content.decode()


def test_sup10_dashboard_counts_only_the_own_society(society, staff_op):
    v1, _v2 = versions()
    other = SocietyFactory(slug="third", name="第三学会")
    OperatorFactory(society=other, role="staff", email="staff@third.example.jp")
    for _ in range(5):
        make_case(other, v1, outcome="A")
    html = page_client(staff_op).get(PAGE, {"flow": "login-trouble"}).content.decode()
    assert 'id="stats-cases">0<' in html


def test_sup10_bars_scale_to_the_largest_escape_labels_and_draw_an_empty_chart():
    from support import chart

    svg = chart.bars([chart.Bar(key="a", label="<b>", segments=[("resolved", 3), ("open", 1)], value_text="4"),
                      chart.Bar(key="b", label="x", segments=[("resolved", 2)], value_text="2")], title="t")
    widths = [float(w) for w in re.findall(r'class="bar [a-z]+" x="[\d.]+" y="\d+" width="([\d.]+)"', svg)]
    assert widths == [chart.BAR_W * 3 / 4, chart.BAR_W / 4, chart.BAR_W * 2 / 4]
    assert "&lt;b&gt;" in svg and "<b>" not in svg
    assert "—" in chart.bars([], title="empty")
