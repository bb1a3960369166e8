-- envelope.lua - MAIL FROM and RCPT TO decisions (edg-milter, miltertest).
dofile("tests/milter/common.lua")

local conn = open()
check("negotiated: change headers", mt.test_action(conn, SMFIF_CHGHDRS))
check("negotiated: add headers", mt.test_action(conn, SMFIF_ADDHDRS))
check("negotiated: change envelope sender", mt.test_action(conn, SMFIF_CHGFROM))
check("negotiated: delete recipients", mt.test_action(conn, SMFIF_DELRCPT))
check("negotiated: no body", mt.test_option(conn, SMFIP_NOBODY))
check("negotiated: no HELO", mt.test_option(conn, SMFIP_NOHELO))
check("negotiated: no unknown commands", mt.test_option(conn, SMFIP_NOUNKNOWN))
check("negotiated: no DATA", mt.test_option(conn, SMFIP_NODATA))
check("negotiated: no reply to headers", mt.test_option(conn, SMFIP_NR_HDR))
check("negotiated: no reply to connect", mt.test_option(conn, SMFIP_NR_CONN))
check("not negotiated: body changes", not mt.test_action(conn, SMFIF_CHGBODY))

check("approved sender: MAIL continues", mail(conn, "<app@example.com>", "ENV1") == SMFIR_CONTINUE)
check("recipient not suppressed: continues", rcpt(conn, "<alice@example.net>") == SMFIR_CONTINUE)
check("suppressed recipient: refused with a reply", rcpt(conn, "<gone@example.net>") == SMFIR_REPLYCODE)
check("suppressed recipient in upper case: refused", rcpt(conn, "<Gone@EXAMPLE.net>") == SMFIR_REPLYCODE)
check("another recipient after it: continues", rcpt(conn, "<bob@example.org>") == SMFIR_CONTINUE)
headers(conn, {{"From", "App <app@example.com>"}, {"Subject", "envelope"}})
check("the message goes on for the others", eom(conn) == SMFIR_CONTINUE)
check("approved From, same envelope: nothing changed", unchanged(conn))
mt.disconnect(conn)

conn = open()
check("unapproved envelope sender, no rule: MAIL refused",
	mail(conn, "<cron@elsewhere.test>", "ENV2") == SMFIR_REPLYCODE)
mt.disconnect(conn)

conn = open()
check("unapproved envelope sender with a rule: MAIL continues",
	mail(conn, "<cron@host.local>", "ENV3") == SMFIR_CONTINUE)
check("null sender: MAIL continues", mail(conn, "<>", "ENV4") == SMFIR_CONTINUE)
check("quoted, upper-case approved sender: MAIL continues",
	mail(conn, "<\"App\"@EXAMPLE.COM>", "ENV5") == SMFIR_CONTINUE)
check("domain-approved sender: MAIL continues", mail(conn, "<news@example.org>", "ENV6") == SMFIR_CONTINUE)
check("address without a domain: refused, not a crash", mail(conn, "<root>", "ENV7") == SMFIR_REPLYCODE)
mt.disconnect(conn)

-- Bindings: billing@example.com belongs to the SASL login billing-app.
conn = open()
check("binding: right login may use the sender",
	mail(conn, "<billing@example.com>", "ENV8", "billing-app") == SMFIR_CONTINUE)
mt.disconnect(conn)
conn = open()
check("binding: another login may not", mail(conn, "<billing@example.com>", "ENV9", "web-app") == SMFIR_REPLYCODE)
mt.disconnect(conn)
conn = open()
check("binding: unauthenticated may not", mail(conn, "<billing@example.com>", "ENV10") == SMFIR_REPLYCODE)
mt.disconnect(conn)

-- No client address (Sendmail's "sendmail -bs", Postfix's smtpd on a non-inet stream):
-- an SMTP dialogue, which can refuse a recipient alone, so it is refused at RCPT.
-- The local submission that cannot (Postfix's non_smtpd_milters: 127.0.0.1 port 0,
-- which miltertest cannot send) is tested through Postfix in milter_postfix.sh.
conn = open("unspec")
check("no client address: approved sender continues", mail(conn, "<app@example.com>", "LOC1") == SMFIR_CONTINUE)
check("no client address: suppressed recipient refused at RCPT", rcpt(conn, "<gone@example.net>") == SMFIR_REPLYCODE)
check("no client address: other recipient continues", rcpt(conn, "<alice@example.net>") == SMFIR_CONTINUE)
headers(conn, { { "From", "App <app@example.com>" } })
check("no client address: the message passes", eom(conn) == SMFIR_CONTINUE and unchanged(conn))
mt.disconnect(conn)
