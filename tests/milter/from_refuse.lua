-- from_refuse.lua - From: refusals and header smuggling (edg-milter, miltertest).
dofile("tests/milter/common.lua")

local ENV = { "<alice@example.net>" }
local conn, reply

local function refused(conn, reply, text)
	return reply == SMFIR_REPLYCODE and mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", text)
		and unchanged(conn)
end

conn, reply = message("<app@example.com>", ENV, { { "From", "stranger@elsewhere.test" } })
check("unapproved From, no rule: 550 5.7.1 naming it", refused(conn, reply,
	"From: <stranger@elsewhere.test> is not an approved sender in OCI Email Delivery (region us-ashburn-1)"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "From", "<<<@@" } })
check("unparsable From: 550 5.7.1 with the reason", refused(conn, reply,
	"From: header cannot be parsed (unbalanced '<': angle address not closed); OCI Email Delivery would refuse this message"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "From", "" } })
check("empty From: refused", refused(conn, reply,
	"From: header cannot be parsed (no address in header value); OCI Email Delivery would refuse this message"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "From", "\"Eve\r\nBcc: victim@x.test\" <eve@corp.example>" } })
check("CR LF inside a quoted name: refused, no header added", refused(conn, reply,
	"From: header cannot be parsed (bare CR or LF in header value); OCI Email Delivery would refuse this message"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "From", "Eve <eve@corp.example>\r\nBcc: victim@x.test" } })
check("CR LF after the address: refused", reply == SMFIR_REPLYCODE and unchanged(conn))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV,
	{ { "From", "=?UTF-8?Q?Eve=0D=0ABcc=3A_victim=40x.test=00?= <eve@corp.example>" } })
check("CR LF NUL in an encoded word: rewritten", reply == SMFIR_CONTINUE)
-- "Eve Bcc: victim@x.test" and U+FFFD for the NUL, encoded again: one header line.
check("CR LF NUL in an encoded word: one line, spaces instead",
	mt.eom_check(conn, MT_HDRCHANGE, "From", "=?UTF-8?B?RXZlIEJjYzogdmljdGltQHgudGVzdO+/vQ==?= <noreply@example.com>"))
check("CR LF NUL in an encoded word: no Bcc header", not mt.eom_check(conn, MT_HDRADD, "Bcc"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "From", "Eve\0Bcc: victim@x.test <eve@corp.example>" } })
check("NUL in From: cut by the protocol, refused, never a crash", reply == SMFIR_REPLYCODE and unchanged(conn))
mt.disconnect(conn)

local many = {}
for i = 1, 20 do
	many[i] = { "From", "a" .. i .. "@corp.example" }
end
conn, reply = message("<app@example.com>", ENV, many)
check("20 From headers: refused", refused(conn, reply,
	"From: header cannot be parsed (too many From: headers); OCI Email Delivery would refuse this message"))
mt.disconnect(conn)

-- miltertest itself overflows a stack buffer on a header near 1000 bytes: the big
-- header cases are in milter_postfix.sh.
conn, reply = message("<app@example.com>", ENV, { { "From", "x <a@corp.example>," .. string.rep("b@x.io,", 105) .. "c@corp.example" } })
check("over 100 addresses in From: refused", refused(conn, reply,
	"From: header cannot be parsed (more than 100 mailboxes in one header); OCI Email Delivery would refuse this message"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "From", "Billing <billing@example.com>" } }, "web-app")
check("binding: approved From not bound to the login: refused", refused(conn, reply,
	"From: <billing@example.com> is an approved sender, but not for this SASL login"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "From", "Billing <billing@example.com>" } }, "billing-app")
check("binding: bound login may use it", reply == SMFIR_CONTINUE and not mt.eom_check(conn, MT_HDRCHANGE))
mt.disconnect(conn)

-- The session is still usable after a refusal: a second message on one connection.
conn = open()
mail(conn, "<app@example.com>", "R1")
rcpt(conn, "<alice@example.net>")
headers(conn, { { "From", "stranger@elsewhere.test" } })
check("first message on the connection refused", eom(conn) == SMFIR_REPLYCODE)
mail(conn, "<app@example.com>", "R2")
rcpt(conn, "<alice@example.net>")
headers(conn, { { "From", "Alice <alice@corp.example>" } })
check("second message on the same connection rewritten", eom(conn) == SMFIR_CONTINUE
	and mt.eom_check(conn, MT_HDRCHANGE, "From", "Alice <noreply@example.com>"))
mt.disconnect(conn)

-- An aborted message leaves nothing behind for the next one.
conn = open()
mail(conn, "<app@example.com>", "A1")
rcpt(conn, "<alice@example.net>")
headers(conn, { { "From", "a@corp.example" }, { "From", "b@corp.example" } })
mt.abort(conn)
mail(conn, "<app@example.com>", "A2")
rcpt(conn, "<alice@example.net>")
headers(conn, { { "From", "App <app@example.com>" } })
check("after abort: the earlier From headers are gone", eom(conn) == SMFIR_CONTINUE and unchanged(conn))
mt.disconnect(conn)
