"""Billing test helpers: invoices in fiscal years relative to the society clock's current one."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from billing.selectors import current_fiscal_year


@pytest.fixture
def this_year(society):
    """The society's current fiscal year on its clock (tests never depend on the real date)."""
    return current_fiscal_year(society)


@pytest.fixture
def staff_client(client, staff_op):
    client.force_login(staff_op)
    return client


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-"), content[:20]
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)
