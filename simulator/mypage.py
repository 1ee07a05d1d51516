"""The My Page simulator (SIM-2): a trainer (or an administrator) of a training sandbox plays the member or the
applicant — apply, read the mailbox of an address and follow its links, create an A-Pass, sign in (and so
link), ask for a password reset, change the e-mail. Every act calls the same service as the sim API; a
refusal is shown through the one admin helper. No password is ever shown back or kept but as a hash."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice import clock, text
from backoffice.adminkit import report_domain_error
from backoffice.errors import DomainError
from backoffice.http import client_address
from mail import links
from mail.admin import link_state_label
from mail.models import LinkToken, SentMail
from mail.services import link_follow
from members import services
from members.models import MyPageSignIn

MAILBOX_LIMIT = 50


class SimulatorForm(forms.Form):
    required_css_class = "required"  # bold labels, as on the admin's own forms


class ApplyForm(SimulatorForm):
    agree = forms.BooleanField(label=gettext_lazy("I agree to the society's membership rules"), required=True,
                               error_messages={"required": gettext_lazy("Agree to the membership rules to apply.")})
    email = forms.CharField(label=gettext_lazy("E-mail address"), max_length=254)


class MailboxForm(SimulatorForm):
    mailbox = forms.CharField(label=gettext_lazy("E-mail address"), max_length=254)


class APassForm(SimulatorForm):
    email = forms.CharField(label=gettext_lazy("E-mail address"), max_length=254)
    password = forms.CharField(label=gettext_lazy("Password"), max_length=128, strip=False,
                               widget=forms.PasswordInput(render_value=False))
    recovery_contact = forms.CharField(label=gettext_lazy("Password-reset contact"), max_length=200, required=False,
                                       help_text=gettext_lazy("Optional: another e-mail address for password resets."))


class SignInForm(SimulatorForm):
    email = forms.CharField(label=gettext_lazy("Login ID (e-mail address)"), max_length=300, strip=False)
    password = forms.CharField(label=gettext_lazy("Password"), max_length=128, strip=False, required=False,
                               widget=forms.PasswordInput(render_value=False))


class PasswordResetForm(SimulatorForm):
    email = forms.CharField(label=gettext_lazy("Login ID (e-mail address)"), max_length=254)


class EmailChangeForm(SimulatorForm):
    session_email = forms.CharField(label=gettext_lazy("E-mail address you are signed in with"), max_length=254)
    password = forms.CharField(label=gettext_lazy("Password"), max_length=128, strip=False,
                               widget=forms.PasswordInput(render_value=False))
    new_email = forms.CharField(label=gettext_lazy("New e-mail address"), max_length=254)


#: (action name, form class, title) of the page's sections, in the order a member meets them.
SECTIONS = (
    ("apply", ApplyForm, gettext_lazy("Application (agree and register an e-mail address)")),
    ("apass", APassForm, gettext_lazy("Create an A-Pass")),
    ("sign_in", SignInForm, gettext_lazy("Sign in to My Page")),
    ("password_reset", PasswordResetForm, gettext_lazy("Password reissue")),
    ("email_change", EmailChangeForm, gettext_lazy("Change e-mail address")),
)


def _sandbox(request):
    """The page is the trainers' and administrators' of a training sandbox (the sim API's rule)."""
    society = getattr(request.user, "society", None)
    if society is None or not society.is_sandbox or not request.user.can_use_training_tools:
        raise PermissionDenied
    return society


#: Where a result lands: the admin's <main>, whose top holds the messages. Without a fragment the browser would
#: keep the form's own ("#sign_in", so that a refused form is shown in place) and scroll the message away.
TO_MESSAGES = "#content-start"


def _to_mailbox(address: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("sim-mypage") + "?" + urlencode({"mailbox": address}) + TO_MESSAGES)


def _act(request, society, action: str, data: dict):
    """Run one section's act; a success answers a redirect (to the mailbox of the address concerned), a
    refusal None (the form then shows it). ``data`` is the form's cleaned data."""
    user = request.user
    template = links.link_url_template(request)
    if action == "apply":
        mail = services.application_request(actor=user, society=society, email=data["email"], link_url_template=template)
        messages.success(request, _("The mail “%(subject)s” was sent to %(to)s.") % {"subject": mail.subject, "to": mail.to})
        return _to_mailbox(mail.to)
    if action == "apass":
        apass = services.apass_create(actor=user, society=society, email=data["email"], password=data["password"],
                                      recovery_contact=data.get("recovery_contact") or "")
        # Not "%(email)s …": the admin capitalises a message's first letter, which would misspell the address.
        messages.success(request, _("An A-Pass was created: %(email)s. Sign in with it below.") % {"email": apass.email})
        return HttpResponseRedirect(reverse("sim-mypage") + TO_MESSAGES)
    if action == "sign_in":
        result = services.mypage_sign_in(actor=user, society=society, email=data["email"], password=data["password"],
                                         client_address=client_address(request))
        reason = MyPageSignIn.Reason(result.reason).label
        if result.ok:
            message = (_("Signed in (%(reason)s); the login is linked to the member record (chain mark).")
                       if result.linked else _("Signed in (%(reason)s); the login is not linked to a member record."))
            messages.success(request, message % {"reason": reason})
        else:
            detail = f" {result.message}" if result.message else ""
            messages.error(request, _("Sign-in refused: %(reason)s.") % {"reason": reason} + detail)
        return HttpResponseRedirect(reverse("sim-mypage") + TO_MESSAGES)
    if action == "password_reset":
        result = services.password_reset_request(actor=user, society=society, email=data["email"],
                                                 link_url_template=template)
        label = RESET_REASONS.get(result.reason, result.reason)
        if result.sent:
            messages.success(request, _("A password reset mail was sent to %(to)s (%(reason)s).")
                             % {"to": result.mail.to, "reason": label})
            return _to_mailbox(result.mail.to)
        messages.error(request, _("No mail was sent: %(reason)s.") % {"reason": label})
        return HttpResponseRedirect(reverse("sim-mypage") + TO_MESSAGES)
    if action == "email_change":
        mail = services.email_change_request(actor=user, society=society, session_email=data["session_email"],
                                             password=data["password"], new_email=data["new_email"],
                                             link_url_template=template)
        messages.success(request, _("The mail “%(subject)s” was sent to %(to)s.") % {"subject": mail.subject, "to": mail.to})
        return _to_mailbox(mail.to)
    raise Http404


RESET_REASONS = {
    services.ResetReason.APASS_EMAIL: gettext_lazy("sent to the A-Pass e-mail address"),
    services.ResetReason.RECOVERY_CONTACT: gettext_lazy("sent to the registered password-reset contact"),
    services.ResetReason.NO_APASS: gettext_lazy("a member has this address, but no A-Pass was created with it"),
    services.ResetReason.SHARED_CONTACT: gettext_lazy("several A-Passes registered this password-reset contact"),
    services.ResetReason.UNKNOWN_ADDRESS: gettext_lazy(
        "the address is neither an A-Pass e-mail address nor a registered password-reset contact"),
}


def mailbox_rows(society, address: str) -> list:
    now = clock.now(society)
    tz = clock.society_timezone(society)
    rows = list(SentMail.objects.filter(society=society, to=text.normalize_email(address)).without_private_links()
                .with_link_state(now).order_by("-created_at", "-id")[:MAILBOX_LIMIT])
    for mail in rows:
        link = mail.link if mail.link_state else None
        mail.sent_label = (mail.sent_at or mail.created_at).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        mail.link_label = link_state_label(mail.link_state, link.expires_at if link else None, tz)
        mail.link_token = link.token if link else None
    return rows


def mypage_view(request):
    society = _sandbox(request)
    forms_by_action = {name: form_class(prefix=name) for name, form_class, _title in SECTIONS}
    active = None
    if request.method == "POST":
        active = request.POST.get("action")
        if active not in forms_by_action:
            raise Http404
        form = dict((n, c) for n, c, _t in SECTIONS)[active](request.POST, prefix=active)
        forms_by_action[active] = form
        if form.is_valid():
            try:
                response = _act(request, society, active, form.cleaned_data)
            except DomainError as exc:
                report_domain_error(request, exc, form=form)
            else:
                return response
    mailbox_form = MailboxForm(request.GET or None)
    mails = None
    if mailbox_form.is_valid():
        mails = mailbox_rows(society, mailbox_form.cleaned_data["mailbox"])
    context = {
        **admin.site.each_context(request),
        "title": _("My Page simulator"),
        "society": society,
        "now": clock.now(society),
        "sections": [(name, title, forms_by_action[name]) for name, _form, title in SECTIONS],
        "active": active,
        "mailbox_form": mailbox_form,
        "mails": mails,
    }
    return TemplateResponse(request, "simulator/mypage.html", context)


def link_view(request, token: str):
    """A mail's link opened as the member: the mail, its link's state and the form the link asks for."""
    society = _sandbox(request)
    link = (LinkToken.objects.filter(society=society, token=token[:64]).exclude(purpose__in=links.private_purposes())
            .select_related("mail").first() if token else None)
    if link is None:
        raise Http404(_("Not found."))
    form = links.link_form(link.purpose, society, data=request.POST if request.method == "POST" else None)
    if form is not None:
        form.required_css_class = "required"
    if request.method == "POST":
        data = {k: v for k, v in request.POST.dict().items() if k != "csrfmiddlewaretoken"}
        try:
            result = link_follow(actor=request.user, token=link.token, data=data)
        except DomainError as exc:
            if form is not None:
                form.is_valid()  # show the field errors of the form as well as the refusal
                report_domain_error(request, exc, form=form)
            else:
                report_domain_error(request, exc)
        else:
            messages.success(request, _("The link was followed: %(result)s") % {"result": describe_result(result)})
            return _to_mailbox(link.mail.to)
    now = clock.now(society)
    tz = clock.society_timezone(society)
    context = {
        **admin.site.each_context(request),
        "title": _("Open a mail's link"),
        "mail": link.mail,
        "link": link,
        "link_label": link_state_label(link.state_at(now), link.expires_at, tz),
        "form": form,
        "mailbox_url": reverse("sim-mypage") + "?" + urlencode({"mailbox": link.mail.to}) + "#mailbox",
    }
    return TemplateResponse(request, "simulator/mypage_link.html", context)


def describe_result(result: dict) -> str:
    purpose = result.get("purpose")
    if purpose == "email_verification":
        return _("the application was registered (member ID %(id)s, applying) and the registration-complete mail "
                 "was sent.") % {"id": result.get("member_id")}
    if purpose == "password_reset":
        return _("the new password of %(email)s was set.") % {"email": result.get("email")}
    if purpose == "email_change":
        return _("the e-mail address was changed to %(email)s.") % {"email": result.get("email")}
    return str(purpose or "")


mypage_page = admin.site.admin_view(mypage_view)
link_page = admin.site.admin_view(link_view)
