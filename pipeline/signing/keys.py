"""Where the signing key lives: a PKCS#12 file or a PKCS#11 token, and the development PKI.

Secrets never sit in config.yaml: a PKCS#12 passphrase comes from the environment variable the
settings name (``HOSO_SIGNING_PASSPHRASE`` by default), or, for the development key only, from
the file ``keys init`` wrote beside it (mode 0600); a token's PIN from ``HOSO_TOKEN_PIN``. Both
kinds of key are opened with ``with key.open() as signer:``, so a token session is closed after
use.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign import pkcs11 as pkcs11_signing
from pyhanko.sign import signers

from pipeline.errors import ConfigError, StorageError

DEV_MARK = "KHÔNG DÙNG THẬT - hoso development key, NOT FOR PRODUCTION"


@dataclass(frozen=True)
class Pkcs12Key:
    """A PKCS#12 file and how to get its passphrase."""

    path: Path
    passphrase_env: str = "HOSO_SIGNING_PASSPHRASE"
    passphrase_file: Path | None = None  # development keys only
    prompt: Callable[[str], str] | None = None  # asks a person, when there is one to ask

    def passphrase(self) -> bytes:
        """From the environment, else the development key's file, else the prompt."""
        value = os.environ.get(self.passphrase_env)
        if value is not None:
            return value.encode()
        if self.passphrase_file is not None and self.passphrase_file.is_file():
            return self.passphrase_file.read_text("utf-8").strip().encode()
        if self.prompt is not None:
            return self.prompt(f"Passphrase of {self.path.name}: ").encode()
        raise ConfigError(
            f"The passphrase of the signing key {self.path} is not set. Put it in the "
            f"environment variable {self.passphrase_env} and try again."
        )

    @contextmanager
    def open(self) -> Iterator[signers.Signer]:
        """The signer, for the length of a ``with`` block."""
        yield self.signer()

    def signer(self) -> signers.SimpleSigner:
        """A pyHanko signer for this key (the certificate chain comes from the file)."""
        if not self.path.is_file():
            raise ConfigError(
                f"The signing key {self.path} does not exist. Run `hoso keys init` for a "
                "development key, or set signing.pkcs12 to the officer's key file."
            )
        unreadable = ConfigError(
            f"The signing key {self.path} cannot be opened: the file is damaged or the "
            "passphrase is wrong."
        )
        try:
            signer = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]
                self.path, passphrase=self.passphrase()
            )
        except (OSError, ValueError) as exc:
            raise unreadable from exc
        if signer is None:  # pyHanko logs the reason and returns None
            raise unreadable
        assert isinstance(signer, signers.SimpleSigner)
        return _ParsedKeySigner(
            signing_cert=signer.signing_cert,
            signing_key=signer.signing_key,
            cert_registry=signer.cert_registry,
            signature_mechanism=signer.signature_mechanism,
        )


_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class _ParsedKeySigner(signers.SimpleSigner):
    """A SimpleSigner that parses its RSA key once.

    pyHanko's SimpleSigner parses the private key again for every raw signature, twice per
    document (the size estimate and the signature); with cryptography's key checks that is 30 ms
    each, most of the time a signature takes.
    """

    _parsed: RSAPrivateKey | None = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """RSA PKCS#1 v1.5 with the parsed key; any other mechanism as pyHanko does it."""
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        digest = _DIGESTS.get(digest_algorithm)
        if mechanism.signature_algo != "rsassa_pkcs1v15" or digest is None:
            return super().sign_raw(data, digest_algorithm)
        if self._parsed is None:
            key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
            assert isinstance(key, RSAPrivateKey)
            self._parsed = key
        return self._parsed.sign(data, PKCS1v15(), digest())


@dataclass(frozen=True)
class Pkcs11Key:
    """A key on a PKCS#11 token (a USB token, an HSM; SoftHSM2 in the tests)."""

    module: Path
    token_label: str
    key_label: str
    cert_label: str = ""  # default: the key's label
    pin_env: str = "HOSO_TOKEN_PIN"

    @contextmanager
    def open(self) -> Iterator[signers.Signer]:
        """A session on the token and a signer using it; the session is closed afterwards."""
        pin = os.environ.get(self.pin_env)
        if pin is None:
            raise ConfigError(
                f"The PIN of the token {self.token_label} is not set. Put it in the environment "
                f"variable {self.pin_env} and try again."
            )
        if not self.module.is_file():
            raise ConfigError(
                f"The PKCS#11 module {self.module} does not exist. Install the token's "
                "driver or correct signing.pkcs11_module."
            )
        try:
            session = pkcs11_signing.open_pkcs11_session(
                str(self.module),
                token_criteria=TokenCriteria(label=self.token_label),
                user_pin=pin,
            )
        except Exception as exc:  # python-pkcs11 raises many kinds: no token, wrong PIN...
            raise ConfigError(
                f"The token {self.token_label} cannot be opened ({exc.__class__.__name__}): is "
                "it plugged in, and is the PIN right?"
            ) from exc
        try:
            yield pkcs11_signing.PKCS11Signer(
                session, cert_label=self.cert_label or self.key_label, key_label=self.key_label
            )
        finally:
            session.close()


@dataclass(frozen=True)
class DevPki:
    """What ``hoso keys init`` wrote."""

    ca_cert: Path
    signer_p12: Path
    passphrase_file: Path


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_MARK),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def make_dev_pki(folder: Path, signer_name: str, *, force: bool = False) -> DevPki:
    """A development CA and one signer under ``folder``, marked as not for production."""
    pki = DevPki(folder / "dev-ca.pem", folder / "dev-signer.p12", folder / "dev-signer.pass")
    if pki.signer_p12.exists() and not force:
        return pki
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"Cannot create {folder}: {exc.strerror}.") from exc
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("hoso Development CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(signer_name))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    passphrase = secrets.token_urlsafe(18)
    blob = pkcs12.serialize_key_and_certificates(
        b"hoso-dev-signer",
        key,
        cert,
        [ca],
        serialization.BestAvailableEncryption(passphrase.encode()),
    )
    _write_private(pki.passphrase_file, passphrase.encode())
    _write_private(pki.signer_p12, blob)
    pki.ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "README.txt").write_text(
        "These keys were made by `hoso keys init` for trying hoso out.\n"
        "They are NOT FOR PRODUCTION: the CA is not a licensed Vietnamese CA and the\n"
        "passphrase is stored beside the key. Configure the officer's own key for real use.\n",
        "utf-8",
    )
    return pki
