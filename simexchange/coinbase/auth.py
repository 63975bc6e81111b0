"""CDP key authentication: a JWT per request (ES256 for EC keys, EdDSA for Ed25519 keys).

The signature is verified with the registered key's public key, ``exp``/``nbf`` are checked and
the ``uri`` claim (``uris`` for EdDSA) must be ``"<METHOD> <host><path>"`` of this very request
(Coinbase API reference, "API key authentication"; ccxt's ``coinbase.create_auth_token``).
"""

from __future__ import annotations

import base64
import json
import re
import threading

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .._wire import Request
from ..datasets.model import SimAccount
from ..host import SimHost
from .errors import unauthorized

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


def b64url(s: str) -> bytes:
    """Base64url without padding (JWT segments) -> bytes."""
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class CdpAuth:
    def __init__(self, host: SimHost) -> None:
        self.host = host
        self.ds = host.dataset
        self._keys: dict[str, PublicKey] = {}
        self._lock = threading.Lock()

    def _public_key(self, acct: SimAccount) -> PublicKey:
        with self._lock:
            k = self._keys.get(acct.api_key)
            if k is None:
                secret = acct.secret
                if secret.lstrip().startswith("-----BEGIN"):
                    priv = serialization.load_pem_private_key(secret.encode(), None)
                else:
                    raw = base64.b64decode(secret)
                    priv = ed25519.Ed25519PrivateKey.from_private_bytes(raw[:32])
                k = self._keys[acct.api_key] = priv.public_key()
            return k

    def authenticate(self, req: Request) -> SimAccount:
        """The Coinbase account whose key signed the bearer JWT of ``req``."""
        authz = req.headers.get("Authorization") or ""
        if not authz.startswith("Bearer "):
            raise unauthorized("missing bearer token")
        token = authz[7:].strip()
        try:
            h64, p64, s64 = token.split(".")
            header = json.loads(b64url(h64))
            claims = json.loads(b64url(p64))
            sig = b64url(s64)
        except (ValueError, TypeError):
            raise unauthorized("malformed JWT") from None
        name = claims.get("sub") or header.get("kid")
        acct = self.ds.accounts.get(name) if isinstance(name, str) else None
        if acct is None or acct.exchange != "coinbase":
            raise unauthorized("unknown key")
        key = self._public_key(acct)
        signing_input = f"{h64}.{p64}".encode()
        alg = header.get("alg")
        try:
            if alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
                if len(sig) != 64:
                    raise InvalidSignature()
                der = encode_dss_signature(
                    int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
                )
                key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
            elif alg == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(sig, signing_input)
            else:
                raise unauthorized(f"algorithm {alg} does not match the key")
        except InvalidSignature:
            raise unauthorized("bad signature") from None
        now = self.host.now_ms() / 1000
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, int | float) or exp < now:
            raise unauthorized("token expired")
        if isinstance(nbf, int | float) and nbf > now + 30:
            raise unauthorized("token not yet valid")
        if isinstance(exp, int | float) and isinstance(nbf, int | float) and exp - nbf > 300:
            raise unauthorized("token lifetime too long")
        uris = claims.get("uris") if alg == "EdDSA" else [claims.get("uri")]
        expected = f"{req.method} {req.headers.get('Host', '')}{req.path}"
        ok = False
        for u in uris or []:
            if isinstance(u, str):
                u2 = re.sub(r"^(\S+) https?://", r"\1 ", u)
                if u2 == expected:
                    ok = True
        if not ok:
            raise unauthorized(f"uri claim does not match {expected!r}")
        return acct
