"""PAdES B-T: a signature with an RFC 3161 timestamp from a local timestamp server."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pikepdf
import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from pipeline.errors import ExternalProgramError
from pipeline.signing.appearance import StampSpec
from pipeline.signing.keys import Pkcs12Key
from pipeline.signing.sign import SignOptions, sign_pdf
from pipeline.signing.verify import check_pdf, load_roots
from tests.test_signing import searchable  # noqa: F401  (fixture)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: str,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool = False,
    eku: list[x509.ObjectIdentifier] | None = None,
    signing: bool = False,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
    if signing:  # what a document signer's certificate says (pyHanko requires it)
        builder = builder.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def pki(tmp_path: Path) -> Iterator[tuple[Path, Path, str]]:
    """A CA, a signer's PKCS#12 file, and a timestamp server on localhost signing with a TSA key."""
    ca_key, signer_key, tsa_key = (rsa.generate_private_key(65537, 2048) for _ in range(3))
    ca = _cert("Test CA", ca_key, "Test CA", ca_key, ca=True)
    signer = _cert("Người Ký", signer_key, "Test CA", ca_key, signing=True)
    tsa = _cert("Test TSA", tsa_key, "Test CA", ca_key, eku=[ExtendedKeyUsageOID.TIME_STAMPING])
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    p12 = tmp_path / "signer.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"s", signer_key, signer, [ca], serialization.BestAvailableEncryption(b"pw")
        )
    )
    der = serialization.Encoding.DER
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa.public_bytes(der)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            tsa_key.private_bytes(
                der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        certs_to_embed=[asn1_x509.Certificate.load(ca.public_bytes(der))],
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path / "ca.pem", p12, f"http://127.0.0.1:{server.server_port}/tsa"
    finally:
        server.shutdown()


def test_b_t_signature_carries_a_valid_timestamp(
    pki: tuple[Path, Path, str],
    searchable: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ca, p12, url = pki
    monkeypatch.setenv("HOSO_SIGNING_PASSPHRASE", "pw")
    signer = Pkcs12Key(p12).signer()
    out = tmp_path / "bt.pdf"
    result = sign_pdf(searchable, out, signer, StampSpec("Người Ký"), SignOptions("B-T", url))
    assert result.level == "B-T"
    (check,) = check_pdf(out, load_roots([ca]))
    assert check.ok and check.timestamp == "valid"

    lt = tmp_path / "blt.pdf"
    sign_pdf(
        searchable, lt, signer, StampSpec("Người Ký"), SignOptions("B-LT", url, trust_roots=(ca,))
    )
    (check,) = check_pdf(lt, load_roots([ca]))
    assert check.ok and check.timestamp == "valid"
    with pikepdf.open(lt) as pdf:  # the validation data is in the file (DSS)
        assert "/DSS" in pdf.Root and "/Certs" in pdf.Root.DSS

    plain = tmp_path / "bb.pdf"
    sign_pdf(searchable, plain, signer, StampSpec("Người Ký"))
    (check,) = check_pdf(plain, load_roots([ca]))
    assert check.ok and check.timestamp == "none"

    with pytest.raises(ExternalProgramError, match="timestamp authority"):
        sign_pdf(searchable, tmp_path / "x.pdf", signer, StampSpec("A"), SignOptions("B-T"))
