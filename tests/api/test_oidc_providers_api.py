"""The partnership admin's identity-provider endpoints: who may use them, what they refuse, what they record."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from api.app import create_app
from service.config import Settings
from service.db.session import unit_of_work
from service.models import AuditEvent
from tests.conftest import Api

URL = "/api/v1/partnership/identity-providers"
ENTRA = {
    "issuer": "https://login.microsoftonline.com/6f1d0c3e-1111-4000-8000-000000000001/v2.0",
    "audience": "api://lif-northshire",
    "subject_claim": "oid",
    "email_claim": "upn",
    "roles_claim": "roles",
    "role_map": {"LIF.BusinessManager": ["business_manager"]},
}


def put(api: Api, role: str, key: str, body: dict[str, Any]) -> Any:
    return api.as_(role).request("PUT", f"{URL}/{key}", json=body)


def test_an_admin_creates_reads_replaces_lists_and_deletes_a_provider(api: Api, db_url: str) -> None:
    created = put(api, "partnership_admin", "entra", ENTRA)
    assert created.status_code == 201, created.text
    assert created.json()["provisioning"] == "refuse"  # the default: unknown users are refused
    assert created.json()["subject_claim"] == "oid"
    replaced = put(api, "partnership_admin", "entra", {**ENTRA, "provisioning": "just_in_time"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["id"] == created.json()["id"]
    assert replaced.json()["updated_at"] is not None
    admin = api.as_("partnership_admin")
    assert [p["key"] for p in admin.get(URL).json()["items"]] == ["entra"]
    assert admin.get(f"{URL}/entra").json()["provisioning"] == "just_in_time"
    assert admin.delete(f"{URL}/entra").status_code == 204
    missing = admin.get(f"{URL}/entra")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    with unit_of_work(write=False, url=db_url) as session:
        actions = list(session.exec(select(AuditEvent.action).where(AuditEvent.object_type == "identity_provider")))
    assert sorted(actions) == ["identity_provider.created", "identity_provider.deleted", "identity_provider.updated"]


def test_only_the_partnership_admin_of_the_same_partnership_sees_or_changes_providers(api: Api) -> None:
    assert put(api, "partnership_admin", "entra", ENTRA).status_code == 201
    for role in ("business_manager", "data_protection_officer", "agency_safeguarding_lead:police"):
        assert api.as_(role).get(URL).status_code == 403
        assert put(api, role, "entra", ENTRA).status_code == 403
        assert api.as_(role).delete(f"{URL}/entra").status_code == 403
    issued = api.as_("partnership_admin").post("/api/v1/agencies/police/machine-tokens", json={"name": "case system"})
    assert issued.status_code == 201, issued.text
    machine = api.client.get(URL, headers={"Authorization": f"Bearer {issued.json()['token']}"})
    assert machine.status_code == 403
    # The other partnership's admin sees none of ours and cannot take our issuer + audience.
    assert api.as_("other").get(URL).json()["items"] == []
    assert api.as_("other").get(f"{URL}/entra").status_code == 404
    assert api.as_("other").delete(f"{URL}/entra").status_code == 404
    taken = put(api, "other", "entra", ENTRA)
    assert taken.status_code == 409, taken.text
    assert put(api, "other", "entra", {**ENTRA, "audience": "api://lif-elsewhere"}).status_code == 201
    assert api.client.get(URL).status_code == 401


def test_settings_a_provider_may_not_have_are_refused_with_each_field_named(api: Api) -> None:
    bad = put(
        api,
        "partnership_admin",
        "entra",
        {**ENTRA, "role_map": {"g1": ["platform_admin", "wizard"]}, "agency_map": {"Met": "nowhere"}},
    )
    assert bad.status_code == 422, bad.text
    assert {e["field"] for e in bad.json()["errors"]} == {"role_map.g1"}
    unknown_agency = put(api, "partnership_admin", "entra", {**ENTRA, "agency_map": {"Met": "nowhere"}})
    assert unknown_agency.status_code == 422
    assert unknown_agency.json()["errors"][0]["field"] == "agency_map"
    for body in ({**ENTRA, "issuer": "ftp://idp.example"}, {**ENTRA, "audience": ""}, {**ENTRA, "extra": 1}):
        assert put(api, "partnership_admin", "entra", body).status_code == 422
    assert put(api, "partnership_admin", "Not A Key!", ENTRA).status_code == 422
    assert api.as_("partnership_admin").get(URL).json()["items"] == []


def test_the_openapi_document_offers_openid_connect_beside_the_bearer_scheme(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["type"] == "http"
    assert schemes["openIdConnect"]["type"] == "openIdConnect"
    assert schemes["openIdConnect"]["openIdConnectUrl"].endswith("/.well-known/openid-configuration")
    operation = document["paths"][URL]["get"]
    assert operation["security"] == [{"HTTPBearer": []}, {"openIdConnect": []}]
    assert document["paths"]["/health/live"]["get"]["security"] == []  # open, and says so


def test_a_single_configured_issuer_gives_the_openid_connect_url() -> None:
    issuer = "https://login.microsoftonline.com/6f1d0c3e-1111-4000-8000-000000000001/v2.0"
    app = create_app(Settings().model_copy(update={"oidc_issuer": issuer}))
    url = app.openapi()["components"]["securitySchemes"]["openIdConnect"]["openIdConnectUrl"]
    assert url == f"{issuer}/.well-known/openid-configuration"
