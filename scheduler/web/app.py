"""The application factory: routes, templates, static files, headers and the token gate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from scheduler.web import security, views

HERE = Path(__file__).resolve().parent


def make_templates() -> Jinja2Templates:
    # Autoescaping everywhere: every piece of page text is data, and nothing is marked safe.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True)
    templates = Jinja2Templates(env=env)
    env.globals.update(views.TEMPLATE_GLOBALS)
    env.filters.update(views.TEMPLATE_FILTERS)
    return templates


def create_app(
    factory: sessionmaker[Session], *, token: str | None = None, config_path: Path | None = None
) -> FastAPI:
    """The read-only web interface over the store behind ``factory``.

    ``token``: every request must carry it (bearer header or the login cookie).
    ``config_path``: the sources file, for each source's schedule and next run.
    """
    from scheduler.web import api, feeds, pages

    app = FastAPI(
        title="govwatch",
        summary="政府信息公开变化：只读 JSON 接口",
        version=_version(),
        docs_url=None,  # FastAPI's own pages load their scripts from a CDN; ours are served here
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.factory = factory
    app.state.token = token
    app.state.config_path = config_path
    app.state.templates = make_templates()
    app.middleware("http")(security.gate(token))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(pages.router)
    app.include_router(feeds.router)
    app.include_router(api.router)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        fields = "、".join(".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors())
        return _error(request, 400, f"参数不正确：{fields or '请求'}")

    return app


def _error(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": status, "detail": message}, status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )
    return response


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("govwatch")
    except PackageNotFoundError:
        return "0"


def session(request: Request) -> Iterator[Session]:
    """The request's read-only session (FastAPI dependency)."""
    factory: sessionmaker[Session] = request.app.state.factory
    with factory() as db:
        yield db
        db.rollback()  # read-only: nothing to keep


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(request, template, context, status_code=status_code)
    return response
