"""Signing with a key on a PKCS#11 token: SoftHSM2 stands in for an officer's USB token."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from pipeline.errors import ConfigError
from pipeline.signing.appearance import StampSpec
from pipeline.signing.keys import Pkcs11Key, make_dev_pki
from pipeline.signing.sign import sign_pdf
from pipeline.signing.verify import check_pdf, load_roots
from tests.test_signing import searchable  # noqa: F401  (fixture)

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")


@pytest.fixture
def token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A SoftHSM2 token "hoso" holding a development signer's key and certificate."""
    if not MODULE.is_file() or shutil.which("softhsm2-util") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("SoftHSM2 is not installed; `make test` installs it (softhsm2).")
        pytest.skip("SoftHSM2 is not installed (apt-get install softhsm2)")
    (tmp_path / "tokens").mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tmp_path}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    monkeypatch.setenv("HOSO_TOKEN_PIN", "1234")
    util = ["softhsm2-util"]
    subprocess.run(
        [*util, "--init-token", "--free", "--label", "hoso", "--pin", "1234", "--so-pin", "5678"],
        check=True,
        capture_output=True,
    )
    pki = make_dev_pki(tmp_path / "keys", "Người Ký Bằng Token")
    key, cert, _ = pkcs12.load_key_and_certificates(
        pki.signer_p12.read_bytes(), pki.passphrase_file.read_bytes().strip()
    )
    assert key is not None and cert is not None
    pem = tmp_path / "key.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    subprocess.run(
        [
            *util,
            "--import",
            str(pem),
            "--token",
            "hoso",
            "--label",
            "signer",
            "--id",
            "01",
            "--pin",
            "1234",
        ],
        check=True,
        capture_output=True,
    )
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    lib = pkcs11.lib(str(MODULE))
    with lib.get_token(token_label="hoso").open(rw=True, user_pin="1234") as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: "signer",
                Attribute.ID: b"\x01",
                Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                Attribute.SUBJECT: cert.subject.public_bytes(),
                Attribute.ISSUER: cert.issuer.public_bytes(),
            }
        )
    return pki.ca_cert, tmp_path


def test_sign_with_a_token_and_validate(
    token: tuple[Path, Path],
    searchable: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ca, folder = token
    key = Pkcs11Key(MODULE, "hoso", "signer")
    out = folder / "signed.pdf"
    with key.open() as signer:
        sign_pdf(searchable, out, signer, StampSpec("Người Ký Bằng Token"))
    (check,) = check_pdf(out, load_roots([ca]))
    assert check.ok and "Người Ký Bằng Token" in check.signer

    monkeypatch.setenv("HOSO_TOKEN_PIN", "0000")
    with pytest.raises(ConfigError, match="PIN"), key.open():
        pass
    monkeypatch.delenv("HOSO_TOKEN_PIN")
    with pytest.raises(ConfigError, match="HOSO_TOKEN_PIN"), key.open():
        pass
