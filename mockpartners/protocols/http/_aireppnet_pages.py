"""The AIREPPNET portal's pages, in French as the portal speaks to town halls: the login form, the sending
form, the answer to a file, the transfer log in the columns of TASK Collectivités' "Tableau de Bord" (guide
section F: Date / Profil / Progression / Etat / Fichier local) and the acknowledgement of a file.

The guide shows the scheduler's side only; the pages' wording and layout are ours (docs/partners/insee.md).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from aiohttp import web

from ...infra.journal import Event
from ...model._aireppnet import FileType
from ...scenarios import names

__all__ = [
    "acknowledgement_page",
    "login_page",
    "page",
    "received_page",
    "refused_page",
    "shown_date",
    "transfers_page",
    "upload_page",
]

_PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>AIREPPNET - {title}</title></head>
<body>
<h1>{title}</h1>
{body}
</body></html>
"""
_MENU = (
    '<p><a href="/envoi">Envoi d\'un fichier</a> | <a href="/suivi">Suivi des transferts</a> | '
    '<a href="/deconnexion">D\u00e9connexion</a></p>'
)
STATES = {"ok": "OK", names.SESSION_EXPIRED: "Session expir\u00e9e"}
"""The transfer log's "Etat" of a transfer (by its refusal, if any); any other refusal is "Refus\u00e9"."""


def page(title: str, body: str, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    text = _PAGE.format(title=html.escape(title), body=body)
    return web.Response(text=text, status=status, content_type="text/html", headers=headers)


def shown_date(moment: datetime, seconds: bool = False) -> str:
    """A moment as the transfer log writes it: ``23/06/2006 à 09:42`` (the virtual clock's UTC)."""
    return moment.astimezone(UTC).strftime("%d/%m/%Y \u00e0 %H:%M" + (":%S" if seconds else ""))


def login_page(error: str = "", status: int = 200) -> web.Response:
    said = f'<p class="erreur"><strong>{html.escape(error)}</strong></p>\n' if error else ""
    body = (
        f"{said}"
        '<form method="post" action="/connexion">\n'
        'Identifiant : <input type="text" name="identifiant"><br>\n'
        'Mot de passe : <input type="password" name="mot_de_passe"><br>\n'
        '<input type="submit" value="Se connecter">\n</form>'
    )
    return page("Identification", body, status)


def upload_page(username: str, organisation: str, file_types: Mapping[str, FileType]) -> web.Response:
    options = "\n".join(
        f'<option value="{html.escape(key, quote=True)}">{html.escape(item.label)}</option>'
        for key, item in file_types.items()
    )
    body = (
        f"<p>Collectivit\u00e9 {html.escape(username)} {html.escape(organisation)}</p>\n{_MENU}\n"
        '<form method="post" action="/envoi" enctype="multipart/form-data">\n'
        f'Type de fichier : <select name="type">\n{options}\n</select><br>\n'
        'Fichier : <input type="file" name="fichier"><br>\n'
        '<input type="submit" value="Envoyer">\n</form>'
    )
    return page("Envoi d'un fichier", body)


def received_page(transfer: Event) -> web.Response:
    name = html.escape(str(transfer.detail.get("local_name", transfer.path)))
    body = (
        f"<p>Fichier {name} : Etat OK, Progression 100 %</p>\n"
        f'<p><a href="/accuse/{transfer.id}">Accus\u00e9 de r\u00e9ception</a></p>\n{_MENU}'
    )
    return page("Fichier transmis", body)


def refused_page(reason: str, status: int, retry_after: int | None = None) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    body = f'<p class="erreur"><strong>{html.escape(reason, quote=False)}</strong></p>\n{_MENU}'
    return page("Fichier refus\u00e9", body, status, headers)


def transfers_page(transfers: Iterable[Event]) -> web.Response:
    """The transfer log, newest first, one row per file sent (guide section F's "Tableau de Bord")."""
    rows = []
    for event in transfers:
        state = STATES.get(str(event.detail.get("refusal", "ok")), "Refus\u00e9")
        local = html.escape(str(event.detail.get("local_name", "")))
        if event.outcome == "ok":
            local = f'<a href="/accuse/{event.id}">{local}</a>'
        cells = (
            html.escape(shown_date(event.time)),
            html.escape(str(event.detail.get("profile", ""))),
            f"{int(event.detail.get('progress', 0))} %",
            html.escape(state),
            local,
        )
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    head = "".join(f"<th>{name}</th>" for name in ("Date", "Profil", "Progression", "Etat", "Fichier local"))
    table = f'<table border="1">\n<tr>{head}</tr>\n' + "\n".join(rows) + "\n</table>"
    return page("Suivi des transferts", f"{_MENU}\n{table}")


def acknowledgement_page(transfer: Event, organisation: str) -> web.Response:
    """What the portal certifies it received: the file, its size and fingerprint, when, and which INSEE
    server it went to (the file type's)."""
    detail = transfer.detail
    lines = [
        ("Num\u00e9ro de d\u00e9p\u00f4t", str(transfer.id)),
        ("Collectivit\u00e9", f"{transfer.account} {organisation}".strip()),
        ("Fichier", str(detail.get("local_name", ""))),
        ("Type de fichier", f"{detail.get('label', '')} ({detail.get('profile', '')})"),
        ("Serveur INSEE", str(detail.get("server", ""))),
        ("Taille", f"{detail.get('size', 0)} octets"),
        ("Empreinte SHA-256", str(detail.get("sha256", ""))),
        ("Re\u00e7u le", shown_date(transfer.time, seconds=True)),
    ]
    items = "\n".join(f"<dt>{html.escape(key)}</dt><dd>{html.escape(value)}</dd>" for key, value in lines)
    return page("Accus\u00e9 de r\u00e9ception", f"<dl>\n{items}\n</dl>\n{_MENU}")
