"""Email over SMTP against a real mail server on loopback (aiosmtpd): UTF-8 text with a
Message-ID from the outbox key, one connection for a batch, STARTTLS and a login from the
environment, and each refusal said as the message's fault (for good or for now) or the
server's."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from server_stub.notifications.email import (
    PASSWORD_VARIABLE,
    USER_VARIABLE,
    Email,
    EmailFailed,
    SmtpSender,
    check_sender,
    message_id,
    parse_server,
)
from tests.server_stub.notifications.mailbox import Mailbox

SENDER = "Офис призов <prizes@example.com>"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


def sender_for(box: Mailbox, **options: str) -> SmtpSender:
    host, port = parse_server(box.address)
    return SmtpSender(host, port, SENDER, timeout_s=5, **options)


def test_an_email_arrives_in_utf8_with_a_message_id_from_its_key(mailbox: Mailbox) -> None:
    smtp = sender_for(mailbox, user="", password="")
    keys = [f"claim|CL-7Q2M9XK{i}|received|email" for i in range(3)]
    for key in keys:
        smtp.send(Email(key, "asha@example.com", "Заявка CL-7Q2M9XK4 принята",
                        "Здравствуйте! Ваша заявка: https://play.example.com/play/status", "ru"))  # fmt: skip
    smtp.close()

    got = mailbox.wait_for(3)
    assert [r.message_id for r in got] == [message_id(k, "example.com") for k in keys]
    first = got[0]
    assert first.mail["Subject"] == "Заявка CL-7Q2M9XK4 принята"
    assert first.text.startswith("Здравствуйте! Ваша заявка: https://play.example.com/")
    assert first.mail["From"].addresses[0].display_name == "Офис призов"
    assert first.mail["Content-Language"] == "ru" and first.to == ["asha@example.com"]
    assert first.mail["Auto-Submitted"] == "auto-generated"
    assert len({r.session for r in got}) == 1  # one connection for the batch
    assert message_id(keys[0], "example.com") == message_id(keys[0], "example.com")


def test_a_header_cannot_be_smuggled_in_through_a_subject(mailbox: Mailbox) -> None:
    smtp = sender_for(mailbox, user="", password="")
    smtp.send(Email("k", "asha@example.com", "Hi\r\nBcc: thief@example.com", "body"))
    smtp.close()
    (got,) = mailbox.wait_for(1)
    assert got.mail["Bcc"] is None and got.to == ["asha@example.com"]


def test_a_refused_address_is_for_good_a_busy_mailbox_for_now(mailbox: Mailbox) -> None:
    mailbox.refuse["gone@example.com"] = "550 5.1.1 no such user"
    mailbox.refuse["full@example.com"] = "452 4.2.2 mailbox full"
    smtp = sender_for(mailbox, user="", password="")
    with pytest.raises(EmailFailed) as gone:
        smtp.send(Email("a", "gone@example.com", "s", "b"))
    with pytest.raises(EmailFailed) as full:
        smtp.send(Email("b", "full@example.com", "s", "b"))
    smtp.send(Email("c", "asha@example.com", "s", "b"))  # the connection still serves
    smtp.close()
    assert gone.value.permanent and not gone.value.whole_server
    assert "550" in str(gone.value) and "no such user" in str(gone.value)
    assert not full.value.permanent and not full.value.whole_server
    assert len(mailbox.wait_for(1)) == 1
    with pytest.raises(EmailFailed) as bad:
        smtp.send(Email("d", "not an address", "s", "b"))
    assert bad.value.permanent


def test_no_mail_server_is_the_whole_server_down_said_in_words(mailbox: Mailbox) -> None:
    mailbox.stop()
    smtp = sender_for(mailbox, user="", password="")
    with pytest.raises(EmailFailed) as down:
        smtp.send(Email("a", "asha@example.com", "s", "b"))
    assert down.value.whole_server and not down.value.permanent
    assert f"cannot send through the mail server at {mailbox.address}" in str(down.value)
    assert "Connection refused" in str(down.value)
    mailbox.start()  # back on the same port: the next message connects again
    smtp.send(Email("a", "asha@example.com", "s", "b"))
    smtp.close()
    assert len(mailbox.wait_for(1)) == 1


def _certificate(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for 127.0.0.1: the server's TLS context and the file a client
    trusts it by."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


def _authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        b"prizes", b"s3cret-pass",
    )  # fmt: skip
    return AuthResult(success=ok, handled=False, auth_data=b"prizes" if ok else None)


def test_starttls_and_a_login_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context, cert_file = _certificate(tmp_path)
    box = Mailbox(smtp_options={
        "tls_context": context, "require_starttls": True, "auth_required": True,
        "auth_require_tls": True, "authenticator": _authenticator,
    }).start()  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # the system's authorities, and ours
    monkeypatch.setenv(USER_VARIABLE, "prizes")
    monkeypatch.setenv(PASSWORD_VARIABLE, "s3cret-pass")
    try:
        smtp = SmtpSender(*parse_server(box.address), SENDER, timeout_s=5)
        smtp.send(Email("k", "asha@example.com", "s", "b"))
        smtp.close()
        (got,) = box.wait_for(1)
        assert got.encrypted and got.login == "prizes"

        monkeypatch.setenv(PASSWORD_VARIABLE, "wrong")
        wrong = SmtpSender(*parse_server(box.address), SENDER, timeout_s=5)
        with pytest.raises(EmailFailed) as refused:
            wrong.send(Email("k2", "asha@example.com", "s", "b"))
        assert refused.value.whole_server and "refused the login" in str(refused.value)
        assert "wrong" not in str(refused.value)
    finally:
        box.stop()


@pytest.mark.parametrize(
    ("text", "words"),
    [("mail.example.com", "write HOST:PORT"), ("mail:99999", "write HOST:PORT"), (":25", "HOST")],
)
def test_a_mail_server_written_wrong_is_said_in_words(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_server(text)
    assert parse_server("[::1]:2525") == ("::1", 2525)


def test_a_sender_address_written_wrong_is_said_in_words() -> None:
    assert check_sender(" Prizes <prizes@example.com> ") == "Prizes <prizes@example.com>"
    for wrong in ("prizes", "Prizes <>", "призы@пример.рф"):
        with pytest.raises(ValueError, match="is not an address to send from"):
            check_sender(wrong)
