"""Signing and verification: sign, validate with pyHanko, then change a byte and expect failure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pikepdf
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from pipeline.errors import ConfigError
from pipeline.signing.appearance import StampSpec
from pipeline.signing.keys import Pkcs12Key, make_dev_pki
from pipeline.signing.sign import sign_pdf
from pipeline.signing.verify import check_pdf, load_roots
from tests.conftest import Scans
from tests.test_cli import run


@pytest.fixture(scope="module")
def searchable(scans: Scans, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real hoso output: a searchable PDF/A of a generated scan."""
    out = tmp_path_factory.mktemp("searchable")
    env_dir = tmp_path_factory.mktemp("env")
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSO_")}
    env["HOSO_WORK_DIR"] = str(env_dir / "work")
    env["HOSO_DATABASE_URL"] = f"sqlite:///{env_dir}/hoso.db"
    proc = run(["process", str(scans.pdf()), "--out", str(out)], env)
    assert proc.returncode == 0, proc.stderr
    return out / "scan.pdf"


def test_sign_validate_then_flip_a_byte(searchable: Path, tmp_path: Path) -> None:
    pki = make_dev_pki(tmp_path / "keys", "Nguyễn Văn Thẩm")
    key = Pkcs12Key(pki.signer_p12, passphrase_file=pki.passphrase_file)
    signed = tmp_path / "signed.pdf"
    sign_pdf(searchable, signed, key.signer(), StampSpec("Nguyễn Văn Thẩm", "Chi cục trưởng"))

    original = searchable.read_bytes()
    data = signed.read_bytes()
    assert data.startswith(original), "an incremental update keeps the PDF/A bytes as they were"

    roots = load_roots([pki.ca_cert])
    (check,) = check_pdf(signed, roots)
    assert check.ok and check.trusted and check.covers_whole_file
    with signed.open("rb") as handle:  # pyHanko's own validator agrees
        (sig,) = PdfFileReader(handle).embedded_signatures
        status = validate_pdf_signature(sig, ValidationContext(trust_roots=roots))
        assert status.bottom_line

    with pikepdf.open(signed) as pdf:  # still PDF/A: metadata and output intent intact
        assert "/OutputIntents" in pdf.Root and "/Metadata" in pdf.Root
        assert b"pdfaid" in pdf.Root.Metadata.read_bytes()
        annots = pdf.pages[-1].Annots
        fonts = annots[0].AP.N.Resources.Font
        font = fonts[next(iter(fonts.keys()))]
        assert "/FontFile2" in font.DescendantFonts[0].FontDescriptor  # embedded, Vietnamese

    flipped = bytearray(data)
    flipped[len(original) // 2] ^= 0x01
    bad = tmp_path / "flipped.pdf"
    bad.write_bytes(bytes(flipped))
    (check,) = check_pdf(bad, roots)
    assert not check.ok and not check.intact

    appended = tmp_path / "appended.pdf"
    appended.write_bytes(data + b"\n% appended after signing\n")
    (check,) = check_pdf(appended, roots)
    assert not check.ok and not check.covers_whole_file

    other = make_dev_pki(tmp_path / "other", "Người Khác")
    (check,) = check_pdf(signed, load_roots([other.ca_cert]))
    assert not check.ok and not check.trusted


def test_wrong_passphrase_is_a_plain_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pki = make_dev_pki(tmp_path / "keys", "A")
    monkeypatch.setenv("HOSO_SIGNING_PASSPHRASE", "wrong")
    with pytest.raises(ConfigError, match="passphrase is wrong"):
        Pkcs12Key(pki.signer_p12, passphrase_file=pki.passphrase_file).signer()
    monkeypatch.delenv("HOSO_SIGNING_PASSPHRASE")
    with pytest.raises(ConfigError, match="HOSO_SIGNING_PASSPHRASE"):
        Pkcs12Key(pki.signer_p12).signer()


def test_keys_init_sign_verify_through_the_cli(
    searchable: Path, tmp_path: Path, hoso_env: dict[str, str]
) -> None:
    config = tmp_path / "config.yaml"
    keys = tmp_path / "keys"
    config.write_text(
        "signing:\n"
        f"  pkcs12: {keys}/dev-signer.p12\n"
        f"  dev_passphrase_file: {keys}/dev-signer.pass\n"
        f"  trust_roots: [{keys}/dev-ca.pem]\n"
        "  signer_name: Trần Thị Lan\n"
        "  title: Chấp hành viên\n",
        "utf-8",
    )
    env = hoso_env | {"HOSO_CONFIG": str(config)}
    # keys init writes under the configured base folder's var/keys; point the key paths there.
    proc = run(["keys", "init"], env)
    assert proc.returncode == 0, proc.stderr
    made = Path(proc.stdout.split("development key: ")[1].split()[0]).parent
    keys.mkdir()
    for name in ("dev-signer.p12", "dev-signer.pass", "dev-ca.pem"):
        shutil.copy(made / name, keys / name)
    signed = tmp_path / "signed.pdf"
    proc = run(["sign", str(searchable), str(signed)], env)
    assert proc.returncode == 0, proc.stderr
    proc = run(["verify", str(signed), "--json"], env)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] and report["signatures"][0]["signer"].find("Trần Thị Lan") >= 0

    data = bytearray(signed.read_bytes())
    data[len(data) // 3] ^= 0x01
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(bytes(data))
    proc = run(["verify", str(signed), str(broken), "--json"], env)
    assert proc.returncode == 1
    verdicts = [json.loads(line)["ok"] for line in proc.stdout.splitlines()]
    assert verdicts == [True, False]
    proc = run(["verify", str(searchable)], env)
    assert proc.returncode == 1 and "no signature" in proc.stdout


def test_each_officer_signs_with_their_own_key(make_settings) -> None:  # type: ignore[no-untyped-def]
    from pipeline.jobs.approval import signing_key, stamp_and_options
    from pipeline.signing.keys import Pkcs11Key

    settings = make_settings(
        signing={
            "officers": {
                "truong": {
                    "pkcs12": "/keys/truong.p12",
                    "signer_name": "Lê Văn Trưởng",
                    "title": "Chi cục trưởng",
                },
                "pho": {
                    "pkcs11_module": "/usr/lib/softhsm/libsofthsm2.so",
                    "token_label": "pho",
                    "key_label": "ky",
                },
            }
        }
    )
    own = signing_key(settings, "truong")
    assert isinstance(own, Pkcs12Key) and own.path == Path("/keys/truong.p12")
    assert isinstance(signing_key(settings, "pho"), Pkcs11Key)
    default = signing_key(settings, "someone")
    assert isinstance(default, Pkcs12Key) and default.path.name == "dev-signer.p12"
    stamp, _ = stamp_and_options(settings, "truong")
    assert (stamp.signer, stamp.title) == ("Lê Văn Trưởng", "Chi cục trưởng")
    prompted = Pkcs12Key(Path("/nowhere.p12"), "HOSO_NO_SUCH_VARIABLE", prompt=lambda _: "pw")
    assert prompted.passphrase() == b"pw"
