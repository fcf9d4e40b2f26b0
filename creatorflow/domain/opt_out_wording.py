"""People opting out in their own words, read from the new text of their reply (not the quote).

Our own outreach ends with "reply with 'unsubscribe'", so the quoted original always contains
opt-out words: the quote must go first. It starts at the client's attribution line ("On ...
wrote:", "Am ... schrieb ...:", "Le ... a écrit :", "El ... escribió:", ...), an "Original
Message" separator, an Outlook header block (From:/Sent:, Von:/Gesendet:, De:/Envoyé:, ...) or
the first ``>`` line. The phrases are requests in the first person ("please unsubscribe me",
"take me off your list", "bitte abmelden", "désinscrivez-moi", "darme de baja"), not the
mention of a link ("click here to unsubscribe").
"""

from __future__ import annotations

import codecs
import re
from email.message import Message
from typing import Final

from creatorflow.domain.mail_parts import html_text, part_text, text_leaves

#: What a mail client says the quoted author did, in the languages of its attribution line.
_QUOTE_VERBS: Final = (
    r"wrote|writes|said|schrieb|a écrit|escribió|escreveu|ha scritto|scrisse|schreef"
    r"|geschreven|skrev|skriver|kirjoitti|írta|napisał(?:\(a\))?|napisała|написала?|написав(?:ла)?"
    r"|пишет|пише|yazdı|napsal|napísal|έγραψε"
)
_ATTRIBUTION: Final = re.compile(
    r"^\s*(?:"
    rf"(?:on|am|le|el|em|op|den|il|w dniu|dne)\b.{{4,300}}\b(?:{_QUOTE_VERBS})\b.{{0,250}}?"
    rf"|.{{0,300}}\b(?:{_QUOTE_VERBS})\b[^:：]{{0,250}}[:：]"
    r"|.{0,120}(?:写道|寫道)\s*[:：]"
    r"|.{0,120}のメッセージ\s*[:：]?"
    r")\s*$",
    re.IGNORECASE,
)
_SEPARATOR: Final = re.compile(
    r"^\s*(?:-{2,}|_{2,}|={2,})?\s*(?:original message|ursprüngliche nachricht|message d'origine"
    r"|mensaje original|messaggio originale|oorspronkelijk bericht|originalmeddelande"
    r"|opprinnelig melding|original meddelelse|wiadomość oryginalna|исходное сообщение"
    r"|mensagem original|forwarded message|weitergeleitete nachricht|message transféré)"
    r"\s*(?:-{2,}|_{2,}|={2,})?\s*$",
    re.IGNORECASE,
)
_RULE: Final = re.compile(r"^\s*(?:_{8,}|-{8,})\s*$")
_FROM_LINE: Final = re.compile(
    r"^\s*\*?(?:from|von|de|van|od|от|från|fra|da|z|lähettäjä|feladó|发件人|寄件者)\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_SENT_LINE: Final = re.compile(
    r"^\s*\*?(?:sent|date|gesendet|datum|envoyé|enviado|fecha|verzonden|wysłano|data|skickat"
    r"|sendt|inviato|отправлено|дата|lähetetty|elküldve|发送时间|日期|to|an|à|para|aan|do)"
    r"\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_SIGNATURE: Final = re.compile(
    r"^(?:-- ?|sent from my .*|sent from outlook.*|get outlook for .*|envoyé de mon .*"
    r"|envoyé depuis .*|von meinem .* gesendet|gesendet von .*|enviado desde mi .*"
    r"|enviado do meu .*|inviato da .*|verzonden (?:vanaf|met) mijn .*|sendt fra min .*"
    r"|skickat från min .*|lähetetty .*laitteesta.*)$",
    re.IGNORECASE,
)

_REQUESTS: Final = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # English
        r"^\W*(?:unsubscribe|opt[ -]?out|remove|stop|remove me|unsubscribe me)\W*$",
        r"(?<!click here to )(?<!click to )(?<!link to )(?<!reply with [\"'“«„])"
        r"\bunsubscribe\b(?! link| button| here| at http)",
        r"\b(?:remove|delete|erase)\s+(?:me|my (?:e-?mail|address|name|details|data|contact))\b"
        r"(?!\s+(?:from|off) (?:the |this )?(?:cc|thread|loop|chain|conversation|call))",
        r"\b(?:take|drop|strike|cross)\s+(?:me|my (?:e-?mail|address|name))"
        r"\s+(?:off|from|out of)\b",
        r"\bopt(?:ing)?[ -]?(?:me )?out\b",
        r"\b(?:stop|quit|cease)\s+(?:e-?mailing|emailing|mailing|contacting|messaging|writing"
        r"(?: to)?|sending|spamming|bothering)(?:\s+(?:me|us)\b|\s*[.!]*\s*$)",
        r"\b(?:don'?t|do not|never|please don'?t)\s+(?:e-?mail|contact|message|write to|mail)"
        r"\s+(?:me|us)\b(?!\s+(?:on|via|through|over|in)\b)",
        r"\bno (?:more|further) (?:e-?mails?|emails?|messages|contact|mail)\b",
        r"\b(?:do not|don'?t) (?:want|wish) to (?:receive|get|hear)\b",
        r"\bleave me alone\b|\bnot interested,? (?:please )?stop\b",
        # German
        r"\babmelden\b|\babbestellen\b|\babmeldung\b|\baustragen\b|\bausgetragen werden\b",
        r"\bkeine (?:e-?mails?|mails?|nachrichten|werbung|newsletter|post)\s+mehr\b",
        r"\bnicht mehr (?:kontaktieren|anschreiben|schreiben|mailen|zuschicken|senden)\b",
        r"\b(?:entfernen|löschen|streichen) sie (?:mich|meine (?:daten|adresse|e-?mail))\b",
        r"\baus (?:ihrem|ihrer|eurem|eurer|dem|der) (?:verteiler|liste|mailingliste)\b",
        r"\bwiderspreche\b|\bwiderspruch gegen\b",
        # French
        r"\bd[ée]sinscri(?:re|vez|s|ption|vez-moi)\b|\bd[ée]sabonn(?:er|ez|ement|ez-moi)\b",
        r"\b(?:retirez|supprimez|enlevez|rayez)[- ]moi\b",
        r"\bne (?:me )?(?:contactez|écrivez|envoyez|sollicitez) plus\b",
        r"\bne plus (?:me )?(?:contacter|recevoir|écrire|envoyer)\b",
        r"\bplus jamais de\b|\bje ne (?:veux|souhaite) plus (?:recevoir|de |d')",
        r"\bje m'oppose\b|\b(?:retirer|supprimer) (?:de|de votre|de la) liste\b",
        # Spanish
        r"\bd(?:ar|a|e)(?:me|nos)? de baja\b|\bdarse de baja\b"
        r"|\bbaja de (?:la|su|tu|vuestra) lista\b",
        r"\bno (?:me |nos )?(?:env[ií]e[ns]?|escrib[ae]n?|contact[ae]n?|mand[ae]n?)s? m[aá]s\b",
        r"\bno (?:quiero|deseo) (?:recibir|que me (?:escriban|contacten|env[ií]en))\b",
        r"\b(?:eliminar|sacar|quitar|borrar)(?:me)? de (?:la|su|tu|vuestra) lista\b",
        r"\b(?:elim[ií]n(?:e|a)me|s[aá]qu(?:e|en)me|qu[ií]t(?:e|en)me|b[oó]rr(?:e|en)me)\b",
        r"\bdej(?:e|en|a) de (?:enviarme|escribirme|contactarme|mandarme)\b",
        r"\bcancelar (?:mi |la )?suscripci[oó]n\b|\bdesuscrib(?:ir|irme)\b",
        # Italian, Portuguese, Dutch
        r"\bcancellami\b|\bnon (?:contattatemi|scrivetemi) più\b|\bdisiscri(?:vere|vermi)\b",
        r"\bdescadastr(?:ar|e)\b|\bremover (?:meu|da lista)\b|\bn[aã]o (?:quero|desejo) receber\b",
        r"\bafmelden\b|\buitschrijven\b|\bgeen (?:e-?mails?|berichten) meer\b",
    )
)
_SUBJECT_REQUEST: Final = re.compile(
    r"\b(?:unsubscribe|opt[ -]?out|remove me|abmelden|abbestellen|d[ée]sinscription"
    r"|d[ée]sabonnement|darme de baja|dar de baja)\b",
    re.IGNORECASE,
)


#: Where mail clients start the quoted original in an HTML reply.
_HTML_QUOTE: Final = re.compile(
    r"<blockquote|class=\"?[\w -]*(?:gmail_quote|yahoo_quoted|moz-cite-prefix|OutlookMessageHeader)"
    r"|id=\"?(?:divRplyFwdMsg|appendonsend|x_divRplyFwdMsg)|<hr\b|type=\"?cite|name=\"?quote",
    re.IGNORECASE,
)


def reply_text(msg: Message) -> tuple[str, bool]:
    """The new text of a reply, and whether it quotes anything below it."""
    leaf = next(iter(text_leaves(msg)), None)
    if leaf is None:
        return "", False
    if leaf.get_content_type() != "text/html":
        return split_reply(part_text(leaf))
    raw = leaf.get_payload(decode=True)
    html = raw.decode(_charset(leaf), "replace") if isinstance(raw, bytes) else str(raw or "")
    cut = _HTML_QUOTE.search(html)
    fresh, quoted = split_reply(html_text(html[: cut.start()] if cut else html))
    return fresh, quoted or cut is not None


def _charset(part: Message) -> str:
    """The part's charset when Python knows it, else UTF-8."""
    charset = str(part.get_content_charset() or "utf-8")
    try:
        codecs.lookup(charset)
    except LookupError:
        return "utf-8"
    return charset


def new_text(body: str) -> str:
    """The part of a reply its author wrote: everything above the quoted original."""
    return split_reply(body)[0]


def split_reply(body: str) -> tuple[str, bool]:
    """The author's text (without signature), and whether a quoted original follows it."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    quoted = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">") or _quote_starts(lines, i):
            quoted = True
            break
        if _SIGNATURE.match(stripped):
            quoted = any(
                x.strip().startswith(">") or _quote_starts(lines, n)
                for n, x in enumerate(lines)
                if n > i
            )
            break
        kept.append(line)
    fresh = "\n".join(kept).strip()
    if not fresh and quoted:  # posted below the quote: the lines that are not quoted
        fresh = _below_the_quote(lines)
    return fresh, quoted


def _below_the_quote(lines: list[str]) -> str:
    """The unquoted lines of a bottom-posted reply, without attributions and signatures."""
    kept = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if _SIGNATURE.match(stripped) or _SEPARATOR.match(line):
            break
        if stripped.startswith(">") or _ATTRIBUTION.match(line) or _quote_starts(lines, i):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def _quote_starts(lines: list[str], i: int) -> bool:
    line = lines[i]
    if _SEPARATOR.match(line) or _ATTRIBUTION.match(line):
        return True
    for size in (2, 3):  # an attribution wrapped over two or three contiguous lines
        window = lines[i : i + size]
        if len(window) < size or not all(x.strip() for x in window):
            continue
        if any(_ATTRIBUTION.match(x) for x in window[1:]):
            continue
        if _ATTRIBUTION.match(" ".join(x.strip() for x in window)):
            return True
    if _RULE.match(line) and any(_FROM_LINE.match(x) for x in lines[i + 1 : i + 3]):
        return True
    if _FROM_LINE.match(line):
        following = [x for x in lines[i + 1 : i + 5] if x.strip()]
        return any(_SENT_LINE.match(x) for x in following)
    return False


def asks_to_opt_out(*, subject: str, text: str) -> bool:
    """A request to be left alone, in the subject or the new text of the reply."""
    if _SUBJECT_REQUEST.search(_strip_reply_prefix(subject)):
        return True
    return any(pattern.search(line) for line in _sentences(text) for pattern in _REQUESTS)


def _sentences(text: str) -> list[str]:
    """Lines, with sentences split out so ``^...$`` patterns see a lone "unsubscribe"."""
    parts: list[str] = []
    for line in text.split("\n"):
        parts.extend(p.strip() for p in re.split(r"(?<=[.!?])\s+", line) if p.strip())
    return parts


def _strip_reply_prefix(subject: str) -> str:
    """The subject without the quoted original subject's words: only what the person added."""
    return re.sub(
        r"^(?:\s*(?:re|aw|wg|fw|fwd|sv|vs|antw|rif|r)\s*:\s*)+", "", subject, flags=re.IGNORECASE
    )
