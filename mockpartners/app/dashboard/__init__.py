"""The dashboard: every partner live in a browser, served by the admin API's listener under ``/dashboard/``.

Pages are a server-rendered shell and a little vanilla JavaScript (no framework, nothing vendored, no build
step) that calls the admin API's own routes for every read and action: the dashboard holds no logic of its
own, so anything a trainer clicks, a test or a script can do with ``curl``. The admin server mounts it
(the suite never imports it) behind the same guard and the same token; a token given once in the URL
becomes a cookie (:mod:`._entry`).
"""

from __future__ import annotations

from ._entry import COOKIE, enter, is_open, is_page, token_matches
from ._pages import ROUTES, VIEWS

__all__ = ["COOKIE", "ROUTES", "VIEWS", "enter", "is_open", "is_page", "token_matches"]
