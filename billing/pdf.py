"""請求書 and 領収書 as PDF (BIL-10), with their society-wide numbers printed (BIL-11).

ReportLab's built-in Japanese CID fonts (HeiseiKakuGo-W5 for headings, HeiseiMin-W3 for text) need no font
file on the machine: the PDF names the font and the reader supplies its Japanese glyphs. The documents are
always in Japanese (they go to members and their employers), whatever the operator's language.

The invoice carries the society's bank account text (``Society.bank_account_text``) and the instruction of
seed 003 (所属先が支払う): the payer's name of the transfer must hold the member's name or number, so that the
transfer can be matched to the member (PAY-6).
"""

from __future__ import annotations

import datetime
import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from backoffice import clock

GOTHIC = "HeiseiKakuGo-W5"
MINCHO = "HeiseiMin-W3"

_registered = False


def _register_fonts() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(GOTHIC))
        pdfmetrics.registerFont(UnicodeCIDFont(MINCHO))
        _registered = True


CATEGORY_LABELS = {"admission": "入会時請求", "annual": "年次請求", "other": "その他"}
METHOD_LABELS = {
    "credit_card": "クレジットカード",
    "convenience_store": "コンビニ払い",
    "bank_check": "バンクチェック（ROBOT PAYMENT）",
    "bank_transfer": "銀行振込",
    "postal_transfer": "郵便振替",
}
TRANSFER_NOTE = "お振込の際は、振込人名義に会員氏名または会員番号を含めてください。"


def yen(amount: int) -> str:
    return f"{amount:,}円" if amount >= 0 else f"-{-amount:,}円"


def japanese_date(day: datetime.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "—"


def member_label(member) -> str:
    """To whom the document is addressed: a corporate member's organisation, else the member's name."""
    if member.kind == "corporate" and member.organization:
        return f"{member.organization} {member.name}"
    return member.name


class _Page:
    """A4 portrait with a cursor moving down; wraps long text by width."""

    LEFT = 20 * mm
    RIGHT = A4[0] - 20 * mm

    def __init__(self, title: str, subject: str):
        _register_fonts()
        self.buffer = io.BytesIO()
        self.c = canvas.Canvas(self.buffer, pagesize=A4, pageCompression=1)
        self.c.setTitle(title)
        self.c.setSubject(subject)
        self.c.setAuthor("")
        self.y = A4[1] - 25 * mm

    def heading(self, text: str) -> None:
        self.c.setFont(GOTHIC, 22)
        self.c.drawCentredString(A4[0] / 2, self.y, text)
        self.y -= 14 * mm

    def right(self, text: str, size: float = 10) -> None:
        self.c.setFont(MINCHO, size)
        self.c.drawRightString(self.RIGHT, self.y, text)
        self.y -= size * 0.5 * mm + 2 * mm

    def line(self, text: str, size: float = 11, font: str = MINCHO, indent: float = 0) -> None:
        self.c.setFont(font, size)
        width = self.RIGHT - self.LEFT - indent
        for part in self._wrap(text, font, size, width):
            self.c.drawString(self.LEFT + indent, self.y, part)
            self.y -= size * 0.5 * mm + 2.5 * mm

    def gap(self, millimetres: float = 4) -> None:
        self.y -= millimetres * mm

    def rows(self, rows: list[tuple[str, str]], size: float = 11) -> None:
        """A two-column table: label, value (values wrap)."""
        label_width = 42 * mm
        for label, value in rows:
            top = self.y + size * 0.35 * mm + 1.5 * mm
            self.c.setFont(GOTHIC, size)
            self.c.drawString(self.LEFT + 2 * mm, self.y, label)
            self.c.setFont(MINCHO, size)
            for part in self._wrap(value, MINCHO, size, self.RIGHT - self.LEFT - label_width - 4 * mm) or [""]:
                self.c.drawString(self.LEFT + label_width, self.y, part)
                self.y -= size * 0.5 * mm + 2.5 * mm
            self.c.setLineWidth(0.3)
            self.c.line(self.LEFT, self.y + size * 0.35 * mm, self.RIGHT, self.y + size * 0.35 * mm)
            self.c.line(self.LEFT, top, self.LEFT, self.y + size * 0.35 * mm)
            self.c.line(self.RIGHT, top, self.RIGHT, self.y + size * 0.35 * mm)
            self.y -= 1.5 * mm

    def box(self, label: str, text: str, size: float = 11) -> None:
        """A framed block of several lines (the bank account text)."""
        top = self.y + size * 0.35 * mm + 2 * mm
        self.line(label, size, GOTHIC, indent=2 * mm)
        for paragraph in (text or "").splitlines() or [""]:
            self.line(paragraph, size, MINCHO, indent=6 * mm)
        bottom = self.y + size * 0.35 * mm
        self.c.setLineWidth(0.6)
        self.c.rect(self.LEFT, bottom, self.RIGHT - self.LEFT, top - bottom)
        self.y -= 3 * mm

    def stamp(self, text: str) -> None:
        """A mark across the page (取消, 削除済み): the document stays readable but cannot pass for valid."""
        self.c.saveState()
        self.c.setFont(GOTHIC, 48)
        self.c.setFillGray(0.75)
        self.c.translate(A4[0] / 2, A4[1] / 2)
        self.c.rotate(30)
        self.c.drawCentredString(0, 0, text)
        self.c.restoreState()

    def _wrap(self, text: str, font: str, size: float, width: float) -> list[str]:
        lines: list[str] = []
        for paragraph in str(text).splitlines() or [""]:
            current = ""
            for char in paragraph:
                if pdfmetrics.stringWidth(current + char, font, size) > width and current:
                    lines.append(current)
                    current = char
                else:
                    current += char
            lines.append(current)
        return lines

    def finish(self) -> bytes:
        self.c.showPage()
        self.c.save()
        return self.buffer.getvalue()


def _addressed_page(title: str, number_label: str, number, subject: str, society, member) -> _Page:
    """A document's head: its title, number and date of issue, and the member it is addressed to."""
    page = _Page(f"{title} {number}", subject)
    page.heading(title)
    page.right(f"{number_label} {number}")
    page.right(f"発行日 {japanese_date(clock.today(society))}")
    page.gap(2)
    page.line(f"{member_label(member)} 様", 14, GOTHIC)
    page.line(f"会員番号 {member.member_number or '（未採番）'}", 11)
    return page


def invoice_pdf(invoice) -> bytes:
    """請求書 of ``invoice`` (annotated with ``with_status`` or not)."""
    society, member = invoice.society, invoice.member
    total = invoice.amount + invoice.adjustment
    page = _addressed_page("請求書", "請求番号", invoice.number, invoice.name, society, member)
    page.gap(2)
    page.right(society.name, 12)
    page.gap(4)
    page.line("下記のとおりご請求申し上げます。", 11)
    page.line(f"ご請求金額  {yen(total)}", 16, GOTHIC)
    page.gap(2)
    page.rows([
        ("請求名称", invoice.name),
        ("請求区分", CATEGORY_LABELS.get(invoice.category, invoice.category)),
        ("年度", f"{invoice.fiscal_year}年度"),
        ("請求金額", yen(invoice.amount)),
        ("調整額", yen(invoice.adjustment)),
        ("合計", yen(total)),
        ("お支払期限", japanese_date(invoice.due_date)),
    ])
    page.gap(4)
    page.box("お振込先", society.bank_account_text or "（振込先口座は学会事務局にお問い合わせください）")
    page.line(TRANSFER_NOTE, 10.5, GOTHIC)
    member_ref = member.member_number or member.name
    page.line(f"（例：振込人名義「{member_ref} {member.name_kana or member.name}」）", 10)
    page.gap(4)
    page.line("会員マイページからオンライン決済でもお支払いいただけます。", 10)
    if invoice.cancelled_at is not None:
        page.stamp("取消")
    return page.finish()


def receipt_pdf(payment) -> bytes:
    """領収書 of ``payment``."""
    invoice = payment.invoice
    society, member = invoice.society, invoice.member
    page = _addressed_page("領収書", "領収書番号", payment.receipt_number, invoice.name, society, member)
    page.gap(6)
    page.line(f"金額  {yen(payment.amount)}", 18, GOTHIC)
    page.gap(2)
    page.line("上記の金額を正に領収いたしました。", 11)
    page.gap(2)
    page.rows([
        ("但し", f"{invoice.name}（{invoice.fiscal_year}年度）として"),
        ("請求番号", str(invoice.number)),
        ("お支払方法", METHOD_LABELS.get(payment.method, payment.method)),
        ("入金日", japanese_date(payment.paid_on)),
    ])
    page.gap(8)
    page.right(society.name, 13)
    if payment.deleted_at is not None:
        page.stamp("削除済み")
    return page.finish()
