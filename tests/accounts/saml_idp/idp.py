"""A SAML 2.0 identity provider in its own process, for the single sign-on tests: pysaml2's `Server`
(parses the AuthnRequest, builds and signs the Response with xmlsec1) behind a plain WSGI app with a
login form. `python -m tests.accounts.saml_idp.idp SPEC.json PORT`; the spec names the key and
certificate files, the service providers (entity id, ACS URL) and the users with their groups. A user
with "lifetime_minutes" < 0 gets an assertion that expired before it was issued (NotOnOrAfter in the past).

GET /metadata  the IdP's metadata      GET /sso  the login form for an AuthnRequest (HTTP-Redirect)
POST /sso      checks the password and answers with the auto-posting form to the ACS (HTTP-POST)
"""

from __future__ import annotations

import html
import json
import sys
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import make_server

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

SP_METADATA = """<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity_id}">
<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAssertionsSigned="true">
<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{acs}" index="1"/>
</md:SPSSODescriptor></md:EntityDescriptor>"""

FORM = """<!DOCTYPE html><html lang="de"><head><title>Test-IdP</title></head><body><main>
<h1>Test-IdP: Anmelden</h1>{error}<form method="post" action="/sso">
<input type="hidden" name="SAMLRequest" value="{request}"><input type="hidden" name="RelayState" value="{relay}">
<label for="u">Benutzername</label> <input id="u" name="username">
<label for="p">Passwort</label> <input id="p" name="password" type="password">
<button type="submit">Anmelden</button></form></main></body></html>"""


class IdentityProvider:
    def __init__(self, spec: dict[str, Any], port: int) -> None:
        self.spec, self.base = spec, f"http://127.0.0.1:{port}"
        self.users = {user["username"]: user for user in spec["users"]}
        self.servers: dict[int, Server] = {}

    def server(self, lifetime_minutes: int = 15) -> Server:
        """One pysaml2 server per assertion lifetime (the lifetime is part of its policy)."""
        if lifetime_minutes not in self.servers:
            config = IdPConfig()
            config.load({
                "entityid": f"{self.base}/metadata",
                "service": {"idp": {
                    "endpoints": {"single_sign_on_service": [(f"{self.base}/sso", BINDING_HTTP_REDIRECT)]},
                    "policy": {"default": {"lifetime": {"minutes": lifetime_minutes},
                                           "attribute_restrictions": None}},
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "want_authn_requests_signed": False,
                }},
                "key_file": self.spec["key"], "cert_file": self.spec["cert"],
                "xmlsec_binary": "/usr/bin/xmlsec1",
                "metadata": {"inline": [SP_METADATA.format(**sp) for sp in self.spec["sps"]]},
            })
            self.servers[lifetime_minutes] = Server(config=config)
        return self.servers[lifetime_minutes]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if path == "/metadata":
            return self.answer(start_response, "200 OK", create_metadata_string(
                None, config=self.server().config, valid=None).decode(), "text/xml")
        if path != "/sso":
            return self.answer(start_response, "404 Not Found", "not found")
        if method == "GET":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            fields = {name: values[0] for name, values in query.items()}
            # Parsing checks the request is from a known service provider, before any form.
            self.server().parse_authn_request(fields["SAMLRequest"], BINDING_HTTP_REDIRECT)
            return self.form(start_response, fields, "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        fields = {name: values[0] for name, values in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
        user = self.users.get(fields.get("username", ""))
        if user is None or user["password"] != fields.get("password"):
            return self.form(start_response, fields, "<p role='alert'>Falsches Passwort.</p>")
        server = self.server(int(user.get("lifetime_minutes", 15)))
        request = server.parse_authn_request(fields["SAMLRequest"], BINDING_HTTP_REDIRECT)
        arguments = server.response_args(request.message, [BINDING_HTTP_POST])
        # pysaml2 sends uid and mail under their standard OIDs (urn:oid:0.9.2342.19200300.100.1.1 and …1.3).
        identity = {"uid": [user["username"]], "mail": [user["email"]], "groups": user["groups"]}
        response = server.create_authn_response(
            identity, userid=user["username"], name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=user["username"]),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password", "authn_auth": self.base},
            sign_response=True, sign_assertion=True, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256,
            **arguments)
        http = server.apply_binding(BINDING_HTTP_POST, str(response), arguments["destination"],
                                    fields.get("RelayState", ""), response=True)
        return self.answer(start_response, "200 OK", http["data"])

    def form(self, start_response: Any, fields: dict[str, str], error: str) -> list[bytes]:
        return self.answer(start_response, "200 OK", FORM.format(
            error=error, request=html.escape(fields.get("SAMLRequest", "")),
            relay=html.escape(fields.get("RelayState", ""))))

    @staticmethod
    def answer(start_response: Any, status: str, body: str, content_type: str = "text/html") -> list[bytes]:
        data = body.encode()
        start_response(status, [("Content-Type", f"{content_type}; charset=utf-8"), ("Content-Length", str(len(data)))])
        return [data]


def main() -> None:
    with open(sys.argv[1]) as spec_file:
        spec = json.load(spec_file)
    port = int(sys.argv[2])
    with make_server("127.0.0.1", port, IdentityProvider(spec, port)) as httpd:
        httpd.serve_forever()


if __name__ == "__main__":
    main()
