"""Machine answers that are not the creator answering: out-of-office, autoresponders, challenges.

Three levels of evidence, strongest first:

- headers: RFC 3834 ``Auto-Submitted`` (any value but ``no``), ``X-Autoreply``,
  ``X-Autorespond``, ``Precedence: auto_reply|bulk|junk``, iCloud's ``X-Apple-Action: VACATION``,
  a null ``Return-Path`` on a message from a person;
- the subject: "Automatic reply:", Lotus Notes' "AUTO:", "Out of Office", "Abwesenheitsnotiz",
  "Réponse automatique", "Respuesta automática" and their cousins in other languages, and
  Exchange's ``X-Auto-Response-Suppress`` with any of them;
- the text, only for a message that quotes nothing: "I am out of the office until ...".

Challenge-response systems (Boxbe and the like) ask the sender to prove they are human: they are
answered by nobody and never answered by us.
"""

from __future__ import annotations

import re
from email.message import Message
from typing import Final

from creatorflow.domain.mail_parts import header

_AUTO_PRECEDENCE: Final = frozenset({"auto_reply", "bulk", "junk"})
_SUBJECT: Final = re.compile(
    r"^\s*(?:auto|autoreply|auto-reply|automatic reply|autosvar|automaattinen vastaus)\s*:"
    r"|auto(?:matic|mated)?[- ]?(?:reply|response|answer|responder)\b|\bautoreply\b"
    r"|out of (?:the )?office|\booo\b|\baway from (?:the office|my (?:desk|e-?mail|mail))"
    r"|\bon (?:vacation|holiday|leave)\b|\bvacation (?:alert|reply|notice|message|response)"
    r"|\bi'?m away\b|\bi am away\b"
    r"|abwesenheit|automatische antwort|automatische rückantwort|nicht im büro"
    r"|réponse automatique|reponse automatique|absent du bureau|absence du bureau"
    r"|message d'absence|en congés?|automatisk svar|automatisch antwort"
    r"|respuesta automática|respuesta automatica|fuera de (?:la )?oficina|ausencia"
    r"|risposta automatica|fuori (?:ufficio|sede)|assenza"
    r"|resposta automática|ausente do escritório|fora do escritório"
    r"|automatisch antwoord|afwezig|niet aanwezig|frånvaro|fravær|poissa"
    r"|odpowiedź automatyczna|nieobecność|automatická odpověď|automatická odpoveď"
    r"|автоответ|автоматический ответ|нет на месте"
    r"|自動返信|自動応答|不在|休暇|自动回复|自動回覆"
    r"|automātisk\w* atbilde|automatiska atbilde|atvaļinājum|atvalinajum"
    r"|automatinis atsakymas|automaatvastus|otomatik yanıt|otomatik cevap",
    re.IGNORECASE,
)
_AWAY_TEXT: Final = re.compile(
    r"\bout of (?:the )?office\b|\bon (?:vacation|holiday|annual leave|parental leave|leave)\b"
    r"|\baway from (?:the office|my (?:desk|e-?mail|mail|computer))\b"
    r"|\blimited (?:access to|availability)\b.{0,20}\be-?mail\b|\bcurrently (?:away|out|travelling"
    r"|traveling|unavailable)\b|\bi am (?:away|out) (?:until|till|from)\b|\bwill be back on\b"
    r"|\bautomatic(?:ally generated)? (?:reply|response|message)\b|\bthis is an auto"
    r"|\bnicht im büro\b|\babwesend\b|\bim urlaub\b|\bautomatische antwort\b"
    r"|\babsent(?:e)? du bureau\b|\ben (?:vacances|congés?)\b|\bréponse automatique\b"
    r"|\bfuera de la oficina\b|\bde vacaciones\b|\brespuesta automática\b|\bausente\b"
    r"|\bfuori (?:ufficio|sede)\b|\bin ferie\b|\bafwezig\b|\bmet vakantie\b",
    re.IGNORECASE,
)
_CHALLENGE: Final = re.compile(
    r"\bboxbe\b|x-boxbe|sender not pre-?approved|has been waitlisted|was waitlisted"
    r"|add yourself to my (?:\w+ )?(?:guest|white|allow|approved senders?) ?list"
    r"|challenge[- /]response|spam ?arrest|mailchallenge|sender verification request"
    r"|(?:verify|confirm|prove) (?:that )?you are (?:a )?"
    r"(?:human|real person|not a (?:robot|spammer))"
    r"|please (?:verify|confirm) your (?:e-?mail|message|address) (?:so|to|in order)"
    r"|click (?:on )?the link below to (?:deliver|release|approve) your (?:e-?mail|message)",
    re.IGNORECASE,
)


def auto_reply_headers(msg: Message) -> bool:
    """Marked as automatic by its headers (RFC 3834 and the common vendor markers)."""
    auto_submitted = header(msg, "Auto-Submitted")
    if auto_submitted is not None and auto_submitted.split(";")[0].strip().lower() != "no":
        return True
    if any(
        header(msg, name) is not None
        for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Vacation")
    ):
        return True
    if (header(msg, "X-Apple-Action") or "").strip().lower() in {"vacation", "autoreply"}:
        return True
    precedence = (header(msg, "Precedence") or header(msg, "X-Precedence") or "").strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return True
    return_path = header(msg, "Return-Path")
    return return_path is not None and return_path.strip() in {"<>", ""}


def auto_reply_subject(msg: Message) -> bool:
    """An out-of-office subject (with or without Exchange's suppress header)."""
    return bool(_SUBJECT.search(header(msg, "Subject") or ""))


def sounds_away(text: str) -> bool:
    """The words of an out-of-office notice, for a message with no marker at all."""
    return bool(_AWAY_TEXT.search(text))


def is_challenge(msg: Message, text: str) -> bool:
    """A challenge-response system asking us to prove we are human before it delivers."""
    if any(name.lower().startswith("x-boxbe") for name in msg):
        return True
    return bool(_CHALLENGE.search(text) or _CHALLENGE.search(header(msg, "Subject") or ""))
