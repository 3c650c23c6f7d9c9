"""INSEE's AIREPPNET portal: what TASK Collectivités' guide shows of it (section F, the AIREPPNET profile and
the "Tableau de Bord" of AI_Connect): a collectivité logs in with the identifier and password INSEE gave it
("Identifiant : 96010"), sends one file at a time with its file type, which decides the INSEE server that
receives it, waits the "Temporisation inter-fichiers" between files and is logged out after the
"Deconnexion automatique" idle time; the transfers are listed as Date / Profil / Progression / Etat /
Fichier local, each file taken with its acknowledgement.

Pages (ours: the guide shows the scheduler, not the portal's pages): ``/`` the login form, ``POST
/connexion``, ``/envoi`` (the form; ``POST`` a file), ``/suivi`` the transfer log, ``/accuse/{id}`` a file's
acknowledgement, ``/deconnexion``. A login is a cookie (HttpOnly; Secure on HTTPS).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from aiohttp import web

from ...infra.journal import Event, Query
from ...model._aireppnet import Portal
from ...ports.session import Session
from ...scenarios import names
from ._aireppnet_pages import (
    acknowledgement_page,
    login_page,
    received_page,
    refused_page,
    transfers_page,
    upload_page,
)
from ._aireppnet_upload import TRANSFER, UploadRefused, receive_upload
from ._portal_sessions import COOKIE, PortalSessions

if TYPE_CHECKING:
    from ._server import HttpServer

__all__ = ["aireppnet"]

_LOGIN_FORM = 4096
"""The largest login form body, in bytes."""
_TRANSFERS_SHOWN = 200
"""The transfer log's rows (the newest); older ones stay in the journal."""
_WRONG = "identifiant ou mot de passe incorrect (authentication failed)"
_EXPIRED = "votre session a expir\u00e9 : identifiez-vous \u00e0 nouveau (session expired)"


def aireppnet(server: HttpServer) -> list[web.RouteDef]:
    portal = server.spec.portal
    assert portal is not None  # the profile's schema requires it for this application
    sessions = PortalSessions(server.partner.clock, timedelta(seconds=portal.idle_timeout.total_seconds()))
    gate = _Gate(server, sessions)

    async def home(request: web.Request) -> web.StreamResponse:
        if request.cookies.get(COOKIE) and sessions.touch(request.cookies[COOKIE])[0] is not None:
            raise web.HTTPSeeOther("/envoi")
        return login_page()

    async def log_in(request: web.Request) -> web.StreamResponse:
        return await gate.log_in(request)

    async def log_out(request: web.Request) -> web.StreamResponse:
        ended = sessions.close(request.cookies.get(COOKIE, ""))
        if ended is not None:
            server.session_of(request).record("session.logout", reason="D\u00e9connexion")
        response = login_page("Vous \u00eates d\u00e9connect\u00e9.")
        response.del_cookie(COOKIE, path="/")
        response.force_close()
        return response

    async def upload_form(request: web.Request) -> web.StreamResponse:
        username, _ = gate.logged_in(request)
        return upload_page(username, _organisation(server, username), portal.file_types)

    async def upload(request: web.Request) -> web.StreamResponse:
        _, session = gate.logged_in(request, uploading=True)
        response = await _upload(server, portal, request, session)
        if response.status == 401:
            sessions.close(request.cookies.get(COOKIE, ""))
        return response

    async def transfers(request: web.Request) -> web.StreamResponse:
        username, _ = gate.logged_in(request)
        query = Query(kind=TRANSFER, partner=server.partner.name, account=username)
        shown = server.partner.journal.events(query, limit=_TRANSFERS_SHOWN)
        return transfers_page(event for event in reversed(shown) if event.path)

    async def acknowledgement(request: web.Request) -> web.StreamResponse:
        username, _ = gate.logged_in(request)
        transfer = _transfer(server, username, request.match_info["id"])
        return acknowledgement_page(transfer, _organisation(server, username))

    return [
        web.get("/", home),
        web.post("/connexion", log_in),
        web.get("/deconnexion", log_out),
        web.get("/envoi", upload_form),
        web.post("/envoi", upload),
        web.get("/suivi", transfers),
        web.get("/accuse/{id}", acknowledgement),
    ]


class _Gate:
    """Who a request comes from: a login by identifier and password, then the session's cookie."""

    def __init__(self, server: HttpServer, sessions: PortalSessions) -> None:
        self.server = server
        self.sessions = sessions

    async def log_in(self, request: web.Request) -> web.StreamResponse:
        """The login form: a wrong identifier or password is the login page again, with a 401 (and counts
        towards the address's ban); a right one opens a session and goes to the sending form."""
        session = self.server.session_of(request)
        form = await _login_form(request)
        username = form.get("identifiant", "").strip()[:64]
        password = form.get("mot_de_passe", "")
        if not username or not password:
            session.record("auth.attempt", outcome="refused", method="password", reason="no identifier")
            return login_page("saisissez votre identifiant et votre mot de passe", status=401)
        reason = self.server.partner.accounts.refusal(
            username, "password", endpoint=self.server.name, address=session.address, password=password
        )
        session.auth_attempt(username, "password", not reason, reason)
        if reason:
            return login_page(_WRONG, status=401)
        response = web.Response(status=303, headers={"Location": "/envoi"})
        response.set_cookie(COOKIE, self.sessions.open(username), path="/", httponly=True,
                            secure=self.server.spec.tls, samesite="Strict")  # fmt: skip
        if session.account in (None, username):
            self._bind(request, username, "password")
        else:  # a browser that goes on as another collectivité: its next request on a new connection
            response.force_close()
        return response

    def logged_in(self, request: web.Request, uploading: bool = False) -> tuple[str, Session]:
        """The collectivité of the request's session, or the login page (401) when there is none: never
        logged in, logged out, or over after the idle time (``http.expired`` in the journal). Scenario
        ``session-expired`` ends it here, or, for an upload, once the file has come (mid-upload)."""
        token = request.cookies.get(COOKIE, "")
        portal_session, why = self.sessions.touch(token) if token else (None, "")
        expired = self.server.partner.scenarios.active(names.SESSION_EXPIRED) is not None
        if portal_session is not None and expired and not uploading:
            portal_session, why = None, f"scenario {names.SESSION_EXPIRED}"
        if portal_session is None:
            if token:
                self.sessions.close(token)
                self.server.session_of(request).record("http.expired", outcome="refused", reason=why)
            raise _login_again(_EXPIRED if token else "identifiez-vous (log in first)")
        return portal_session.username, self._bind(request, portal_session.username, "cookie")

    def _bind(self, request: web.Request, username: str, method: str) -> Session:
        """The connection's session logs in as the collectivité (once); a kept-alive connection that comes
        back as another one is closed, so that the client opens a new one for it."""
        session = self.server.session_of(request)
        if session.account is None:
            session.logged_in(username, method, cut=lambda why: self._cut(request, username))
        elif session.account != username:
            said = "une connexion sert une seule collectivit\u00e9 : reconnectez-vous"
            raise _login_again(said, close=True)
        return session

    def _cut(self, request: web.Request, username: str) -> None:
        """The account changed and asked for its sessions to end: its logins and its connection."""
        self.sessions.close_account(username)
        if request.transport is not None:
            self.server.submit(_close(request))


async def _login_form(request: web.Request) -> dict[str, str]:
    """The login form's fields, from a body of at most 4 KiB (the endpoint's ``max_body`` is for files: a
    login read whole into memory must not be one): a larger one is a 413."""
    body = b""
    while len(body) <= _LOGIN_FORM and (chunk := await request.content.read(_LOGIN_FORM + 1 - len(body))):
        body += chunk
    if len(body) > _LOGIN_FORM:
        raise web.HTTPRequestEntityTooLarge(max_size=_LOGIN_FORM, actual_size=request.content_length or 0)
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    except ValueError:
        raise web.HTTPBadRequest(text="too many fields for a login form") from None
    return {name: values[0] for name, values in fields.items()}


async def _close(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.close()


def _login_again(why: str, close: bool = False) -> web.HTTPUnauthorized:
    page = login_page(why, status=401)
    refusal = web.HTTPUnauthorized(text=page.text, content_type="text/html",
                                   headers={"Connection": "close"} if close else None)  # fmt: skip
    refusal.del_cookie(COOKIE, path="/")
    return refusal


async def _upload(server: HttpServer, portal: Portal, request: web.Request, session: Session) -> web.Response:
    try:
        transfer = await receive_upload(server, portal, request, session)
    except UploadRefused as refused:
        session.record(TRANSFER, refused.path, "refused", refusal=refused.refusal, reason=refused.reason,
                       progress=0, **(refused.detail or {}))  # fmt: skip
        if refused.refusal != names.SESSION_EXPIRED:
            return refused_page(refused.reason, refused.status, refused.retry_after)
        session.record("http.expired", outcome="refused", reason=refused.reason)
        response = login_page(_EXPIRED, status=401)
        response.del_cookie(COOKIE, path="/")
        return response
    return received_page(transfer)


def _organisation(server: HttpServer, username: str) -> str:
    entry = server.partner.accounts.get(username)
    return entry.account.organisation if entry is not None else ""


def _transfer(server: HttpServer, username: str, given: str) -> Event:
    """The collectivité's file ``given`` (a transfer's number), taken; else a 404 page."""
    if given.isdigit():
        query = Query(kind=TRANSFER, partner=server.partner.name, account=username, outcome="ok",
                      after=int(given) - 1)  # fmt: skip
        found = server.partner.journal.events(query, limit=None)
        match = next((event for event in found if event.id == int(given)), None)
        if match is not None:
            return match
    said = f"aucun fichier re\u00e7u sous le num\u00e9ro {given[:20]} (no such transfer)"
    raise web.HTTPNotFound(text=said)
