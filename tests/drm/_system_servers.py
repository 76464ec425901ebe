"""Local license servers speaking each system's transport, for the adapter tests.

Each is a real aiohttp server on 127.0.0.1 that checks what real servers of that system
check (content type, SOAPAction, certificate then SPC form) and answers licenses the
:class:`FakeDeviceBackendForTests` reads. Every request is logged as received.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

from drm import parse_pssh, parse_widevine_pssh_data, parse_wrm_header
from tests.drm._fake_device import SPC_PREFIX, WV_PREFIX, WV_RENEWAL, fake_license

SOAP_ACTION = '"http://schemas.microsoft.com/DRM/2007/03/protocols/AcquireLicense"'
FPS_CERTIFICATE = bytes(range(256)) * 3  # stands in for the FairPlay DER certificate


@dataclass
class Seen:
    """A request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class SystemServer:
    """A running test server: its base URL, request log and answer settings."""

    base: str = ""
    requests: list[Seen] = field(default_factory=list)
    # KID hex -> status name the license gives it (vendor spelling), default usable.
    statuses: dict[str, str] = field(default_factory=dict)
    renewal_interval_s: float | None = None
    fault: str | None = None  # PlayReady: answer a SOAP fault with this text


def _keys_for(kids: list[bytes], server: SystemServer) -> list[dict[str, str]]:
    return [
        {"kid": k.hex(), "status": server.statuses.get(k.hex(), "kUsable"), "key": "ab" * 16}
        for k in kids
    ]


@asynccontextmanager
async def _serve(
    routes: Callable[[web.Application, SystemServer], None],
) -> AsyncIterator[SystemServer]:
    server = SystemServer()
    app = web.Application()

    @web.middleware
    async def log(request: web.Request, handler: Callable[..., object]) -> web.StreamResponse:
        server.requests.append(
            Seen(request.method, request.path, dict(request.headers), await request.read())
        )
        response = await handler(request)  # type: ignore[misc]
        assert isinstance(response, web.StreamResponse)
        return response

    app.middlewares.append(log)
    routes(app, server)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield server
    finally:
        await runner.cleanup()


def widevine_server() -> AbstractAsyncContextManager[SystemServer]:
    """POST /widevine: a binary request (octet-stream) in, a binary license out."""

    def routes(app: web.Application, server: SystemServer) -> None:
        async def license(request: web.Request) -> web.Response:
            body = await request.read()
            if request.content_type != "application/octet-stream":
                return web.Response(status=415, text="want application/octet-stream")
            if body.startswith(WV_RENEWAL):
                box = parse_pssh(body[len(WV_RENEWAL) :])
            elif body.startswith(WV_PREFIX):
                box = parse_pssh(body[len(WV_PREFIX) :])
            else:
                return web.Response(status=400, text="not a license request")
            kids = list(parse_widevine_pssh_data(box.data).key_ids) or list(box.key_ids)
            payload = fake_license(_keys_for(kids, server), server.renewal_interval_s)
            return web.Response(body=payload, content_type="application/octet-stream")

        app.router.add_post("/widevine", license)

    return _serve(routes)


def playready_server() -> AbstractAsyncContextManager[SystemServer]:
    """POST /rightsmanager.asmx: SOAP AcquireLicense (SOAPAction checked), SOAP answer."""

    def routes(app: web.Application, server: SystemServer) -> None:
        async def license(request: web.Request) -> web.Response:
            if request.headers.get("SOAPAction") != SOAP_ACTION:
                return web.Response(status=400, text="missing SOAPAction")
            if request.headers.get("Content-Type") != "text/xml; charset=utf-8":
                return web.Response(status=415, text="want text/xml; charset=utf-8")
            if server.fault:
                return web.Response(status=500, body=_fault(server.fault), content_type="text/xml")
            root = ET.fromstring(await request.read())
            (header,) = [el for el in root.iter() if el.tag.endswith("}ContentHeader")]
            kids = list(parse_wrm_header(header.text or "").key_ids)
            lic = base64.b64encode(fake_license(_keys_for(kids, server))).decode()
            body = (
                '<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
                'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
                '<AcquireLicenseResponse xmlns="http://schemas.microsoft.com/DRM/2007/03/protocols">'
                "<AcquireLicenseResult><Response><LicenseResponse><Licenses>"
                f"<License>{lic}</License></Licenses></LicenseResponse></Response>"
                "</AcquireLicenseResult></AcquireLicenseResponse></soap:Body></soap:Envelope>"
            )
            return web.Response(text=body, content_type="text/xml")

        app.router.add_post("/rightsmanager.asmx", license)

    return _serve(routes)


def _fault(text: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
        'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>'
        f"<faultcode>soap:Server</faultcode><faultstring>{text}</faultstring><detail>"
        "<Exception><StatusCode>0x8004C600</StatusCode></Exception></detail>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def fairplay_server() -> AbstractAsyncContextManager[SystemServer]:
    """GET /fps/cert (base64 certificate), POST /fps/license (spc=...&assetId=... form)."""

    def routes(app: web.Application, server: SystemServer) -> None:
        async def cert(request: web.Request) -> web.Response:
            return web.Response(body=base64.b64encode(FPS_CERTIFICATE))

        async def license(request: web.Request) -> web.Response:
            if request.content_type != "application/x-www-form-urlencoded":
                return web.Response(status=415, text="want a form")
            form = urllib.parse.parse_qs((await request.read()).decode(), strict_parsing=True)
            spc = base64.b64decode(form["spc"][0])
            asset = form["assetId"][0]
            cert_hash = hashlib.sha256(FPS_CERTIFICATE).hexdigest()[:16]
            if spc != SPC_PREFIX + asset.encode() + b"|" + cert_hash.encode():
                return web.Response(status=403, text="SPC not made for this certificate/asset")
            kid = hashlib.md5(asset.encode()).digest()  # the asset's KID, by this server's rule
            ckc = fake_license(_keys_for([kid], server))
            return web.Response(text=f"<ckc>{base64.b64encode(ckc).decode()}</ckc>")

        app.router.add_get("/fps/cert", cert)
        app.router.add_post("/fps/license", license)

    return _serve(routes)


def json_body(seen: Seen) -> object:
    """A logged request's body as JSON."""
    return json.loads(seen.body)
