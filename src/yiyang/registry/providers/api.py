"""JSON routes for providers: list/search, read, create, update."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from yiyang.kit.pagination import Page, PageParams
from yiyang.kit.types import RowId
from yiyang.registry.providers import service as provider_service
from yiyang.registry.providers.schemas import (
    ProviderCreate,
    ProviderFilter,
    ProviderRead,
    ProviderUpdate,
)
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(prefix="/providers", tags=["providers"], dependencies=[Depends(get_locale)])


@router.get("", response_model=Page[ProviderRead])
def list_providers(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    flt: Annotated[ProviderFilter, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[ProviderRead]:
    """Search providers in scope by name, code or credit code."""
    return provider_service.list_providers(db, subject, flt, page, now=request.app.state.clock())


@router.post("", response_model=ProviderRead, status_code=201)
def create_provider(
    request: Request, db: DbSession, subject: ApiSubject, body: ProviderCreate
) -> ProviderRead:
    """Register a provider (district administrators)."""
    provider = provider_service.create_provider(db, subject, body, now=request.app.state.clock())
    return provider_service.to_read(provider)


@router.get("/{provider_id}", response_model=ProviderRead)
def read_provider(db: DbSession, subject: ApiSubject, provider_id: RowId) -> ProviderRead:
    """One provider's record."""
    return provider_service.read_provider(db, subject, provider_id)


@router.patch("/{provider_id}", response_model=ProviderRead)
def update_provider(
    request: Request, db: DbSession, subject: ApiSubject, provider_id: RowId, body: ProviderUpdate
) -> ProviderRead:
    """Change some fields of a provider (district administrators)."""
    provider = provider_service.update_provider(
        db, subject, provider_id, body, now=request.app.state.clock()
    )
    return provider_service.to_read(provider)
