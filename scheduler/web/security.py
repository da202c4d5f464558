"""Security headers on every response, and the token gate for an interface bound beyond loopback.

Token mode: every request needs ``Authorization: Bearer TOKEN`` or the cookie set by the login
form (``POST /login``); anything else is answered 401 (a login form for browsers, JSON under
``/api/``). The cookie holds an HMAC of the token, never the token itself.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

COOKIE = "govwatch_ui"
MAX_LOGIN_BODY = 4096
# Our pages load only our own scripts, styles and images. A stored page shown in the version
# view sits in a sandboxed srcdoc frame, which inherits this policy: nothing it references
# can be fetched from elsewhere, and it can run no script.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}

Handler = Callable[[Request], Awaitable[Response]]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cookie_value(token: str) -> str:
    return hmac.new(token.encode(), b"govwatch-ui-session", hashlib.sha256).hexdigest()


def authorised(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), cookie_value(token).encode())


def safe_next(target: str | None) -> str:
    """Only a path on this site: never ``//host`` or ``https://...`` (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


LOGIN_FORM = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>登录 · govwatch</title></head>
<body><main class="login"><h1>govwatch</h1><p>{message}</p>
<form method="post" action="/login"><input type="hidden" name="next" value="{next}">
<label>访问令牌（GOVWATCH_UI_TOKEN）
<input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">登录</button></form></main></body></html>"""


def _login_page(message: str, next_path: str) -> HTMLResponse:
    from html import escape

    body = LOGIN_FORM.format(message=escape(message), next=escape(safe_next(next_path), quote=True))
    # Without the token nothing else is served, not even the stylesheet: the form is plain.
    return HTMLResponse(body, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="govwatch"'})


async def _login(request: Request, token: str) -> Response:
    raw = await request.body()
    form = parse_qs(raw[:MAX_LOGIN_BODY].decode("utf-8", "replace"))
    given = (form.get("token") or [""])[0]
    next_path = safe_next((form.get("next") or ["/"])[0])
    if not hmac.compare_digest(given.encode(), token.encode()):
        return _login_page("令牌不正确。", next_path)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(COOKIE, cookie_value(token), httponly=True, samesite="strict", max_age=30 * 86400)
    return response


def gate(token: str | None) -> Callable[[Request, Handler], Awaitable[Response]]:
    """The HTTP middleware: token check (when a token is set), then headers on whatever is answered."""

    async def middleware(request: Request, call_next: Handler) -> Response:
        response: Response
        if token is not None and request.url.path == "/login" and request.method == "POST":
            response = await _login(request, token)
        elif token is not None and not authorised(request, token):
            if request.url.path.startswith("/api/"):
                response = JSONResponse(
                    {"error": "unauthorized", "detail": "需要访问令牌：Authorization: Bearer TOKEN"},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="govwatch"'},
                )
            else:
                next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                response = _login_page("此界面需要访问令牌。", next_path)
        else:
            response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return middleware
