"""What a refusal means, read from the remote server's words and from RFC 3463 status codes.

Bounce reasons are written by hundreds of MTAs in their own words and languages; the enhanced
status code, when there is one, is often less precise than the words ("550 5.1.1 ... over
quota"). So the words decide first, in an order that settles the usual overlaps:

1. mailbox full / over quota: soft (5.2.2 is a "persistent transient failure", RFC 3463);
2. phrases that name a dead recipient in words that also sound like a refusal
   ("recipient address rejected: access denied" is how Microsoft 365 says "no such user");
3. our mail was refused (spam, block lists, reputation, SPF/DKIM/DMARC, PTR, policy, virus,
   malformed headers): blocked, the person exists;
4. the address or its domain does not exist (user unknown, host unknown, null MX): hard;
5. anything temporary (expired retries, timeouts, rate limits, suspended accounts, system
   errors): soft.

Then the status code: 5.1.x (bad mailbox or domain) hard, 5.7.x and 4.7.x (policy, security)
blocked, everything else soft. A bounce never suppresses an address without evidence.
"""

from __future__ import annotations

import re
from typing import Final

from creatorflow.domain.inbound import Kind

_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")


def _any(*phrases: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in phrases))


_FULL: Final = _any(
    r"mail ?box (?:is )?(?:currently )?(?:full|over ?(?:quota|limit))",
    r"(?:mailbox|inbox|account|disk|user) (?:storage )?(?:is )?(?:full|has exceeded)",
    r"over ?(?:the )?(?:disk |storage |mailbox |mail )?quota",
    r"quota (?:exceeded|exceed|full|violation|has been exceeded)",
    r"exceed(?:s|ed)? (?:\S+ ){0,3}(?:quota|storage|mailbox size|allowed size|disk space)",
    r"(?:mailbox|storage) (?:size )?(?:limit|allocation) (?:exceeded|reached)",
    r"(?:not enough|insufficient) (?:disk |storage )?(?:space|storage)(?! on the system)",
    r"mailbox_?full|mbox full|user has too many messages|too many messages in (?:the )?mailbox",
    r"postfach (?:ist )?(?:voll|übervoll)|speicherplatz|quota überschritten",
    r"bo[iî]te (?:aux lettres |de réception )?(?:est )?pleine|quota (?:est )?dépassé",
    r"buz[oó]n (?:de correo )?(?:está )?lleno|casella (?:di posta )?piena",
    r"переполнен|превышен(?:а|о)? (?:квота|лимит)|недостаточно места",
    r"容量|いっぱい|満杯",
)
_DEAD_REFUSAL: Final = _any(
    r"recipient address rejected: (?:access denied|user unknown|unknown user|invalid)",
    r"recipient (?:address )?rejected.{0,40}(?:does not exist|not exist|no such|unknown)",
    r"blocked by .{0,30}(?:ldap|recipient (?:filter|verification))",
    r"rejected: (?:user|recipient|address) (?:unknown|not found|does not exist)",
    r"not listed in (?:the |public )?(?:domino )?(?:directory|name & address book)",
)
_SUSPENDED: Final = _any(
    r"(?:account|mailbox|user|address|compte|konto)\b[^.;]{0,40}\b(?:is |has been |est )?"
    r"(?:temporar(?:y|ily) )?(?:suspended|disabled|locked|frozen|bloqu[ée]e?|gesperrt|deaktiviert)",
    r"(?:disabled|suspended|locked|frozen) (?:recipient|account|mailbox|user)",
    r"temporar(?:y|ily) (?:locked|suspended|disabled|blocked)",
)
_BUSY: Final = _any(
    r"frequency limit|too many (?:connections|concurrent|sessions|recipients|messages) "
    r"(?:from|this|per|at|in)|has sent to too many|connection (?:rate )?limit",
)
_REFUSED: Final = _any(
    r"\bspam\b|spamhaus|spamcop|spam ?assassin|spam[- ]?(?:filter|detected|score|content)",
    r"\bjunk\b|unsolicited|bulk (?:e-?mail|mail|filter)|considered (?:as )?(?:spam|bulk)",
    r"black ?list|block ?list|blocked|\bbanned\b|\brbl\b|dnsbl|\bsorbs\b|barracuda",
    r"(?<!not )listed (?:at|in|on|by) |(?<!not )is listed|on our (?:block|deny)",
    r"reputation|sender score|poor (?:sending )?(?:history|quality)",
    r"complaints? (?:from|by|rate)|user complaints",
    r"\bspf\b|\bdkim\b|\bdmarc\b|domainkeys|sender policy framework",
    r"(?:not |un)authenticated|authentication (?:failed|failure|required|results)",
    r"\bptr\b|reverse (?:dns|lookup|hostname|name)|\brdns\b|hostname lookup failed",
    r"(?:no|missing|invalid) (?:dns )?(?:ptr|hostname|reverse)",
    r"client host (?:\S+ )?(?:rejected|refused|blocked)|your (?:ip|host|server)\b",
    r"\bip (?:address )?(?:\S+ )?(?:is |was |has been )?(?:blocked|listed|rejected|banned)",
    r"polic(?:y|ies)(?! of the recipient)|prohibited|not (?:allowed|permitted|authori[sz]ed) to",
    r"administrative(?:ly)? prohibit|unauthori[sz]ed|access denied|denied by",
    r"sender (?:address )?(?:rejected|denied|refused|blocked|verify failed|not allowed)",
    r"(?:message|content|mail) (?:was |has been )?(?:rejected|refused|blocked) "
    r"(?:by|due to|because|for)",
    r"content (?:filter|rejected|policy|not accepted)|message content|suspicious|phishing",
    r"virus|malware|infected|trojan|worm found",
    r"\brfc ?(?:2822|5322|5321)\b|rfc ?822 (?:compliant|violation|standard)"
    r"|not (?:rfc|standard)[- ]compliant|(?:invalid|malformed|"
    r"duplicate|missing) (?:message )?headers?|header (?:error|violation|check)",
    r"(?:message|mail|e-?mail) (?:has been |was )?(?:refused|rejected|rejet[ée])\b"
    r"(?![^.;]{0,40}(?:user|recipient|mailbox|address|unknown|exist))",
    r"(?:message|mail|content) (?:was |has been )?filtered|unwanted (?:messages|mail|e-?mail)",
    r"\bviolat(?:ion|es|ed)\b|mismatch|invalid ip|(?:unroutable|invalid|unknown|bad) sender",
    r"(?:host|network|ip|sender|relay|domain|client)\b[^.;]{0,20}\bnot allowed",
    r"not (?:a )?member|members only|only accepts? mail from",
    r"greylist|not pre-?approved|helo (?:command )?rejected|rejected (?:your )?helo",
    r"deny|denied",
    r"迷惑メール|拒否|受信拒否|спам|отклонено|заблокирован",
)
_DEAD: Final = _any(
    r"(?:user|recipient|address|mailbox|account|addressee) (?:is )?unknown",
    r"unknown (?:local[- ]?part|user|recipient|mailbox|address|account|e-?mail)",
    r"no such (?:user|mailbox|recipient|address|person|account|local user|domain|host)",
    r"(?:user|recipient|address|mailbox|account|e-?mail|local part)(?: \S+){0,2} "
    r"(?:does not|doesn't|did not|does no longer|no longer) exists?",
    r"(?:doesn't|does not|not) exist\b|nonexist[ae]nt|non-existent|not exist",
    r"(?:user|recipient|mailbox|address|account)(?: \S+){0,2} (?:was |could )?not (?:be )?found",
    r"(?:couldn'?t|could not|cannot|can'?t) be found|(?:illegal|unknown) alias",
    r"not (?:a )?(?:valid|known|local) (?:user|recipient|mailbox|address)",
    r"invalid (?:recipient|mailbox|address|user|account|destination)",
    r"(?:mailbox|address|user) (?:is )?(?:unavailable|not available|invalid|inactive"
    r"|deactivated|closed|terminated|removed|discontinued)(?! temporar)",
    r"(?:account|mailbox|address) (?:has been |was |is )?(?:deactivated|closed|terminated|"
    r"deleted|removed|discontinued)",
    r"no (?:mail ?box|account|one) (?:here )?(?:by that name|at this address)",
    r"no longer (?:valid|active|in use|accepts? mail|available)",
    r"not listed in (?:the |public )?(?:domino )?(?:directory|name & address book)",
    r"badrcptto|validrcptto|mailbox name not allowed|name not allowed",
    r"unrouteable|unroutable|no route for|undeliverable address",
    r"deactivated (?:mailbox|account|address|user)|no mail ?box (?:available|here)",
    r"invalid (?:final delivery )?userid|doesn't have an? \S+ account|no smtp service",
    r"domain (?:name )?(?:is )?not (?:reachable|resolvable|valid)",
    r"(?:host|domain)(?: name)? (?:is )?(?:unknown|not found|does not exist|lookup failed)",
    r"(?:unknown|invalid) (?:host|domain)|host or domain name not found|no such domain",
    r"name or service not known|name service error|nxdomain|domain (?:name )?not exist",
    r"(?:no|null) mx|does not accept (?:e-?)?mail|accepts no mail|not accept(?:ing)? mail",
    r"mx (?:record )?(?:lookup )?(?:failed|not found)|dns (?:lookup )?(?:error|failed)"
    r"(?! for (?:the )?(?:ptr|reverse))",
    r"utilisateur inconnu|destinataire inconnu|adresse (?:inconnue|invalide|introuvable)",
    r"n'existe pas|introuvable|benutzer unbekannt|unbekannt(?:er|e)? (?:benutzer|empfänger"
    r"|adresse)|existiert nicht|nicht gefunden|gibt es nicht|adresse nicht gefunden",
    r"no existe|usuario desconocido|destinatario desconocido|utente sconosciuto"
    r"|nessun utente|inesistente|non esiste",
    r"не существует|нет такого|неизвестн\w* (?:пользовател|адрес|получател)"
    r"|пользовател\w* не найден|адрес\w* не найден",
    r"存在しない|存在しません|宛先不明|不明なユーザ|ユーザ.{0,10}(?:不明|ありません)",
)
_TEMPORARY: Final = _any(
    r"action: delayed|delivery (?:has been |is )?delayed|delayed mail|still being retried",
    r"(?:not yet been|has not been) delivered|will (?:keep|continue) (?:trying|to try)",
    r"retry (?:time(?:out)? |period )?(?:exceeded|expired)|message (?:has )?expired|"
    r"(?:delivery )?time ?out|timed out|expired|too long in (?:the )?queue",
    r"could not (?:be delivered|send message) (?:for|within|in) (?:the )?(?:past |last )?\d",
    r"for (?:the )?past \d+ (?:hours?|days?)|for \d+ (?:hours?|days?)",
    r"connection (?:refused|reset|lost|dropped)|could not connect|unable to connect|"
    r"(?:host|server) (?:is )?unreachable|no route to host|network (?:is )?unreachable",
    r"too many (?:connections|concurrent|recipients|messages|sessions|hops|smtp|mails)",
    r"rate limit|rate-limit|ratelimit|throttl|too fast|slow down|sending rate|per hour|"
    r"exceeded (?:the )?(?:hourly|daily|maximum) ",
    r"suspend|temporar(?:y|ily)|try (?:again )?later|deferred|frozen|locked",
    r"system (?:error|failure|full|is busy)|internal (?:server )?error|local (?:configuration )?"
    r"error|resources? (?:temporarily )?unavailable|insufficient system|server busy|overloaded",
    r"service (?:not available|unavailable)|mailbox (?:temporarily )?unavailable",
)
#: The order the words are read in (see the module docstring).
_ORDER: Final = (
    (Kind.SOFT_BOUNCE, _FULL),
    (Kind.HARD_BOUNCE, _DEAD_REFUSAL),
    (Kind.SOFT_BOUNCE, _SUSPENDED),
    (Kind.SOFT_BOUNCE, _BUSY),
    (Kind.BLOCKED, _REFUSED),
    (Kind.HARD_BOUNCE, _DEAD),
    (Kind.SOFT_BOUNCE, _TEMPORARY),
)
#: RFC 3463 subjects (class.subject.detail) that name a dead address.
_DEAD_CODES: Final = frozenset({"1.1", "1.2", "1.3", "1.5", "1.6", "1.10", "4.4"})


def normalised(text: str) -> str:
    """Lower case and single spaces: how the phrase tables are written."""
    return " ".join(text.lower().split())


def kind_of_words(text: str) -> Kind | None:
    """What a remote server's words say about the recipient, or None when they say nothing."""
    words = normalised(text)
    for kind, pattern in _ORDER:
        if pattern.search(words):
            return kind
    return None


def status_in(text: str) -> str | None:
    """The first RFC 3463 code (``5.1.1``) written in ``text``."""
    match = _STATUS.search(text)
    return ".".join(match.groups()) if match else None


def _decisive(status: str) -> Kind | None:
    """The codes precise enough to decide alone (x.0.0, x.3.x, x.5.x say little)."""
    match = _STATUS.fullmatch(status.strip())
    if match is None:
        return None
    klass, subject, detail = match.groups()
    code = f"{subject}.{detail}"
    if code == "7.13":
        return Kind.SOFT_BOUNCE  # user account disabled (RFC 4954): suspended, not refused
    if subject == "7":
        return Kind.BLOCKED  # security or policy, permanent or not
    if klass == "5" and code in _DEAD_CODES:
        return Kind.HARD_BOUNCE
    if klass == "5" and subject == "6":
        return Kind.BLOCKED  # media or content refused
    if klass == "4" or subject == "2" or code == "4.7":
        return Kind.SOFT_BOUNCE  # temporary, mailbox status, delivery time expired
    return None


def verdict(*, action: str, status: str, diagnostic: str, notice: str) -> Kind:
    """One recipient's fate: the server's own words first, then the codes, then the notice.

    ``Action: delayed`` is a warning: the message may still arrive, so never worse than soft.
    """
    if action == "delayed":
        return Kind.SOFT_BOUNCE
    quoted = (status_in(diagnostic) or "") if diagnostic else ""
    in_notice = status_in(notice) or ""
    for reading in (
        kind_of_words(diagnostic) if diagnostic else None,
        _decisive(quoted),
        _decisive(status),
        kind_of_words(notice),
        _decisive(in_notice),
    ):
        if reading is not None:
            return reading
    return Kind.SOFT_BOUNCE
