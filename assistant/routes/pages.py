"""The four surfaces' web pages: citizen chat at ``/``, hotline staff at ``/staff``, editors at
``/admin``. Plain HTML, CSS and JavaScript shipped in the package (``assistant/web``): no build
step and no external CDN; the Content-Security-Policy forbids loading anything from elsewhere."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from assistant.deps import RelayDep, SettingsDep

WEB = Path(__file__).resolve().parent.parent / "web"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
router = APIRouter(tags=["pages"])
HISTORY_HOURS = 2  # the citizen page keeps a conversation on the device this long (privacy notice)


def _page(name: str) -> FileResponse:
    return FileResponse(WEB / name, media_type="text/html; charset=utf-8", headers=HEADERS)


@router.get("/", response_class=FileResponse)
def citizen_chat() -> FileResponse:
    """市民对话页：问办事、一件事清单、预约、12345 反映。"""
    return _page("index.html")


@router.get("/staff", response_class=FileResponse)
def staff_lookup() -> FileResponse:
    """12345 话务员查询页（需登录）。"""
    return _page("staff.html")


@router.get("/desk", response_class=FileResponse)
def ticket_desk() -> FileResponse:
    """12345 工单办理台：承办部门接单、办结、回访（需登录）。"""
    return _page("desk.html")


@router.get("/admin", response_class=FileResponse)
def editor_admin() -> FileResponse:
    """内容编辑管理页（需登录）。"""
    return _page("admin.html")


class SiteOut(BaseModel):
    operator: str = Field(description="主办单位")
    contact: str = Field(description="联系方式")
    privacy: str = Field(description="隐私说明")
    city: str
    staff_hours: str = Field(description="when staff answer 转人工")
    history_hours: int = Field(description="how long the page keeps a conversation on the device")


@router.get("/api/site", response_model=SiteOut)
def site(settings: SettingsDep, relay: RelayDep) -> dict:
    """Whose service this is (主办单位, contact, privacy notice) and when staff answer 转人工."""
    return {
        "operator": settings.operator_name,
        "contact": settings.operator_contact,
        "privacy": settings.privacy_notice.replace("{question_log_days}", str(settings.question_log_days)),
        "city": settings.city_name,
        "staff_hours": relay.hours.describe(),
        "history_hours": HISTORY_HOURS,
    }


def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
