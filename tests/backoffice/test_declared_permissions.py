"""Issue 13 §0 "permissions declared": what a service requires is its ``service(permission=...)`` — a predicate
name on the operator, or a callable answering a refusal for the acts whose permission depends on the call —
never a check inside the body. ``Operator.can_use_support``: viewers read support cases, never act."""

from __future__ import annotations

import ast
import pathlib

import pytest

from backoffice.errors import DomainError, NotFound
from backoffice.services import service
from members import services
from members.factories import OperatorFactory, SocietyFactory
from members.models import Operator
from simulator import scenarios

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVICE_MODULES = [*sorted((ROOT / "members" / "services").glob("*.py")), ROOT / "mail" / "services.py",
                   ROOT / "mail" / "links.py", ROOT / "simulator" / "services.py", ROOT / "simulator" / "scenarios.py"]


def _role_checks_in_bodies(path: pathlib.Path) -> list[str]:
    """``getattr(actor, "can_…")`` or ``actor.role`` inside a function that is not a declared permission."""
    found = []
    for func in ast.walk(ast.parse(path.read_text())):
        if not isinstance(func, ast.FunctionDef) or func.name.endswith(("_permission", "_refusal")):
            continue
        for node in ast.walk(func):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
                    and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == "actor"):
                found.append(f"{path.name}:{node.lineno} {func.name}")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "actor" \
                    and (node.attr == "role" or node.attr.startswith("can_")):
                found.append(f"{path.name}:{node.lineno} {func.name}")
    return found


def test_issue13_no_service_checks_a_role_inside_its_body():
    assert [hit for path in SERVICE_MODULES for hit in _role_checks_in_bodies(path)] == []


def test_issue13_the_services_whose_permission_depends_on_the_call_declare_a_callable():
    for svc in (services.society_update, services.society_clock_move, services.operator_create, scenarios.scenarios_reset):
        assert callable(svc.permission), svc.__name__


@pytest.mark.django_db
def test_issue13_a_callable_permission_is_asked_with_the_call_before_the_body():
    calls = []

    def only_small(actor, *, n):
        calls.append((actor, n))
        return DomainError("permission_denied", "too big", status=403) if n > 1 else None

    @service(permission=only_small)
    def thing_do(*, actor, n):
        return n

    assert thing_do(actor="system: test", n=1) == 1
    with pytest.raises(DomainError) as refused:
        thing_do(actor="system: test", n=2)
    assert refused.value.code == "permission_denied"
    assert calls == [("system: test", 1), ("system: test", 2)]


@pytest.mark.django_db
def test_issue13_declared_permissions_refuse_as_the_body_checks_did(society, admin_op, staff_op, other_op):
    with pytest.raises(DomainError) as refused:
        services.society_update(actor=admin_op, society=society, contract_status="suspended")
    assert (refused.value.code, set(refused.value.fields)) == ("permission_denied", {"contract_status"})
    services.society_update(actor=admin_op, society=society, name="改称学会")  # its own settings: allowed
    with pytest.raises(DomainError) as refused:
        services.society_update(actor=staff_op, society=society, name="x")
    assert refused.value.code == "permission_denied"
    with pytest.raises(NotFound):
        services.society_update(actor=other_op, society=society, contract_status="suspended")
    with pytest.raises(DomainError) as refused:
        services.operator_create(actor=admin_op, society=society, email="root2@example.jp", password="pass-1234-x",
                                 role="admin", is_superuser=True)
    assert refused.value.code == "permission_denied"
    with pytest.raises(DomainError) as refused:
        services.society_clock_move(actor=admin_op, society=society, to=None)
    assert refused.value.code == "not_sandbox"
    sandbox = SocietyFactory(slug="training", is_sandbox=True)
    sandbox_staff = OperatorFactory(society=sandbox, role="staff")
    for svc, kwargs in ((services.society_clock_move, {"to": None}), (scenarios.scenarios_reset, {})):
        with pytest.raises(DomainError) as refused:
            svc(actor=sandbox_staff, society=sandbox, **kwargs)
        assert refused.value.code == "permission_denied", svc.__name__


@pytest.mark.django_db
@pytest.mark.parametrize("role,may", [("admin", True), ("staff", True), ("trainer", True), ("viewer", False)])
def test_issue13_can_use_support_viewers_read_cases_never_act(society, role, may):
    operator = OperatorFactory(society=society, role=role)
    assert operator.can_use_support is may
    operator.is_active = False
    assert operator.can_use_support is False
    assert Operator.objects.create_superuser(username=f"root-{role}@example.jp", password="x" * 12).can_use_support
