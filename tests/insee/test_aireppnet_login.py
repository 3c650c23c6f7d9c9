"""Logging in to INSEE's AIREPPNET portal (TASK Collectivités' guide, F: "Identifiant : 96010", "Mot de
passe : XXXXXXXX", "Deconnexion automatique : 60"): by identifier and password, a session cookie, refusals
journalled, the session over after the idle time on the virtual clock."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

from mockpartners import Partner
from tests.clients import require
from tests.insee._aireppnet import Portal


def test_a_collectivite_logs_in_and_gets_a_secure_httponly_cookie(insee_aireppnet: Partner) -> None:
    portal = Portal(insee_aireppnet)
    answer = portal.log_in()
    assert answer.status_code == 200 and "Envoi d'un fichier" in answer.text  # 303 to the sending form
    assert [step.status_code for step in answer.history] == [303]
    cookie = answer.history[0].headers["Set-Cookie"]
    assert "AIREPPNET_SESSION=" in cookie and "HttpOnly" in cookie and "Secure" in cookie
    assert "SameSite=Strict" in cookie
    assert 'name="type"' in answer.text and 'value="elections-eu"' in answer.text
    login = insee_aireppnet.journal.wait_for(kind="session.login", account="96010")
    assert login.detail["method"] == "password" and login.protocol == "http"


def test_a_wrong_password_is_the_login_page_again_with_a_401_and_journalled(insee_aireppnet: Partner) -> None:
    portal = Portal(insee_aireppnet)
    answer = portal.log_in(password="XXXXXXXX")
    assert answer.status_code == 401 and "identifiant ou mot de passe incorrect" in answer.text
    assert 'name="mot_de_passe"' in answer.text and "Set-Cookie" not in answer.headers
    refused = insee_aireppnet.journal.wait_for(kind="auth.attempt", account="96010", outcome="refused")
    assert refused.detail["reason"]
    assert "XXXXXXXX" not in str(refused.detail)  # the password is never journalled
    assert portal.get("/envoi").status_code == 401  # no session: the login page


def test_the_session_ends_after_the_idle_time_on_the_virtual_clock(insee_aireppnet: Partner) -> None:
    insee_aireppnet.clock.freeze()
    portal = Portal(insee_aireppnet)
    portal.log_in()
    insee_aireppnet.clock.advance(timedelta(seconds=59))
    assert portal.get("/envoi").status_code == 200  # seen again: idle from now on
    insee_aireppnet.clock.advance(timedelta(seconds=61))
    answer = portal.send("wecivil1.038")
    assert answer.status_code == 401 and "votre session a expir" in answer.text
    assert 'name="identifiant"' in answer.text  # the login page again
    expired = insee_aireppnet.journal.wait_for(kind="http.expired", account="96010")
    assert "idle for 61s, more than the 60s" in str(expired.detail["reason"])
    assert insee_aireppnet.files("96010").list("etat-civil") == []
    portal.log_in()
    assert portal.send("wecivil1.038").status_code == 200


def test_curl_logs_in_with_a_cookie_jar_over_verified_https(insee_aireppnet: Partner, tmp_path: Path) -> None:
    portal = Portal(insee_aireppnet)
    jar = tmp_path / "cookies"
    form = f"identifiant=96010&mot_de_passe={portal.password}"
    login = portal.curl(
        "-w", "%{http_code}", "-o", "/dev/null", "-d", form, f"{portal.base}/connexion", jar=jar
    )
    assert login.returncode == 0 and login.stdout == "303", login.stderr
    assert "#HttpOnly_" in jar.read_text() and "AIREPPNET_SESSION" in jar.read_text()
    page = portal.curl(f"{portal.base}/envoi", jar=jar)
    assert "Collectivit\u00e9 96010" in page.stdout
    unverified = subprocess.run([require("curl"), "-sS", f"{portal.base}/"], capture_output=True, text=True,
                                timeout=30)  # fmt: skip
    assert unverified.returncode == 60  # without --cacert: the portal's chain is not in the system's store


def test_logging_out_ends_the_session(insee_aireppnet: Partner) -> None:
    portal = Portal(insee_aireppnet)
    portal.log_in()
    answer = portal.get("/deconnexion")
    assert answer.status_code == 200 and "d\u00e9connect\u00e9" in answer.text
    assert portal.get("/suivi").status_code == 401
    insee_aireppnet.journal.wait_for(kind="session.logout", account="96010")


def test_a_login_form_larger_than_4_kib_is_refused_unread(insee_aireppnet: Partner) -> None:
    portal = Portal(insee_aireppnet)
    form = {"identifiant": "96010", "mot_de_passe": "x" * 10_000}
    answer = portal.browser.post(f"{portal.base}/connexion", data=form, timeout=10)
    assert answer.status_code == 413
    assert insee_aireppnet.journal.events(kind="auth.attempt") == []


def test_one_browser_goes_on_as_another_collectivite(insee_aireppnet: Partner) -> None:
    portal = Portal(insee_aireppnet)
    portal.log_in()
    assert "Collectivit\u00e9 96010" in portal.get("/envoi").text
    paris = Portal(insee_aireppnet, "75056")
    paris.browser = portal.browser  # the same browser, its connection kept alive
    assert "Collectivit\u00e9 75056" in paris.log_in().text
    assert paris.send("wecivil1.075").status_code == 200
    assert insee_aireppnet.files("75056").list("etat-civil") == ["wecivil1.075"]
