"""SMTP intake parses a mail with its long file bodies set aside (mockpartners/infra/mail_files.py): the
message must be the one Python's parser gives, part for part, for the mails a client sends and for the
odd ones (preamble, epilogue, blanks after a boundary, no close boundary, a headerless part, nesting)."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

import pytest

from mockpartners.infra.mail_files import parse_mail


def _wire(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def _mail() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@mairie.example", "b@insee.example", "Recensement"
    message.set_content("Fichier ci-joint.\n")
    binary = b"\x00\xff" * 9000
    message.add_attachment(binary, maintype="application", subtype="octet-stream", filename="a.bin")
    message.add_attachment(b"y" * 10, maintype="text", subtype="plain", filename="b.txt")
    message.add_attachment(b"z" * 20000, maintype="text", subtype="csv", filename="c.csv")
    return message


def _variants() -> dict[str, bytes]:
    mail = _mail()
    boundary = (mail.get_boundary() or "").encode()
    plain = _wire(mail)
    framed = _mail()
    framed.preamble, framed.epilogue = "pre\r\n", f"epi --{boundary.decode()}\r\n"
    nested = EmailMessage()
    nested["From"] = "a@mairie.example"
    nested.set_content("t")
    nested.add_attachment(_mail())
    return {
        "plain": plain,
        "preamble and epilogue": _wire(framed),
        "blanks after the close": plain.replace(b"--\r\n", b"--  \r\n"),
        "no last line end": plain.rstrip(b"\r\n"),
        "no close": plain.replace(b"--" + boundary + b"--", b""),
        "a headerless part": plain.replace(b"--" + boundary + b"\r\n", b"--" + boundary + b"\r\n\r\n", 2),
        "no blank line": plain.replace(b"\r\n\r\n", b"\r\n", 2),
        "nested": _wire(nested),
        "LF line ends": mail.as_bytes(),
    }


def _same(ours: Message, python: Message) -> None:
    assert ours.as_bytes() == python.as_bytes()
    for mine, theirs in zip(ours.walk(), python.walk(), strict=True):
        assert mine.items() == theirs.items()
        assert mine.get_payload() == theirs.get_payload() or mine.is_multipart()
        assert [type(defect) for defect in mine.defects] == [type(defect) for defect in theirs.defects]
        assert (mine.preamble, mine.epilogue) == (theirs.preamble, theirs.epilogue)


@pytest.mark.parametrize("name", list(_variants()))
def test_a_mail_parsed_with_its_files_set_aside_is_the_mail_python_parses(name: str) -> None:
    content = _variants()[name]
    _same(parse_mail(content), BytesParser(policy=policy.default).parsebytes(content))


def test_a_mail_as_clients_send_it_takes_the_shorter_parse() -> None:
    """The shortcut is what makes the bench's row: a flat multipart mail with CRLF line ends takes it (a
    regression here would only show in `make bench` otherwise), a mail with bare LF line ends does not."""
    from mockpartners.infra import mail_files

    wire = _wire(_mail()).decode("ascii", "surrogateescape")
    assert mail_files._parse_set_aside(wire) is not None
    assert mail_files._parse_set_aside(wire.replace("\r\n", "\n")) is None
