"""factory-boy factories: the single source of fake data for tests, seed_demo, scenarios and benchmarks."""

from .members import (  # noqa: F401
    MemberFactory,
    MemberStatusFactory,
    MemberTypeFactory,
    OperatorFactory,
    SocietyFactory,
    bulk_create_members,
    create_member_with_history,
)
