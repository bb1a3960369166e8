-- from_rewrite.lua - header From: kept, rewritten, collapsed (edg-milter, miltertest).
-- Rules in the test configuration: header @corp.example -> noreply@example.com,
-- envelope @host.local -> noreply@example.com, sasl webapp -> app@example.com.
dofile("tests/milter/common.lua")

local ENV = { "<alice@example.net>" }
local conn, reply

conn, reply = message("<app@example.com>", ENV, { { "From", "App Team <app@example.com>" } })
check("approved From: continues", reply == SMFIR_CONTINUE)
check("approved From: untouched", unchanged(conn))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "From", "\"APP\"@Example.COM" } })
check("quoted upper-case approved From: untouched", reply == SMFIR_CONTINUE and unchanged(conn))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "From", "Alice Smith <alice@corp.example>" } })
check("ASCII name: continues", reply == SMFIR_CONTINUE)
check("ASCII name: From rewritten, name kept",
	mt.eom_check(conn, MT_HDRCHANGE, "From", "Alice Smith <noreply@example.com>"))
check("ASCII name: Reply-To added with the original",
	mt.eom_check(conn, MT_HDRADD, "Reply-To", "Alice Smith <alice@corp.example>"))
check("ASCII name: X-Original-From added",
	mt.eom_check(conn, MT_HDRADD, "X-Original-From", "Alice Smith <alice@corp.example>"))
check("ASCII name: no From deleted", not mt.eom_check(conn, MT_HDRDELETE, "From"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV,
	{ { "From", "=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <jm@corp.example>" } })
check("UTF-8 name: From rewritten with an encoded word",
	mt.eom_check(conn, MT_HDRCHANGE, "From", "=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <noreply@example.com>"))
check("UTF-8 name: X-Original-From keeps it",
	mt.eom_check(conn, MT_HDRADD, "X-Original-From", "=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <jm@corp.example>"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "From", "\"Smith, Alice\" <alice@corp.example>" } })
check("quoted name with a comma: stays one quoted name",
	mt.eom_check(conn, MT_HDRCHANGE, "From", "\"Smith, Alice\" <noreply@example.com>"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "From", "Alice\n\tSmith\n <alice@corp.example>" } })
check("folded From: parsed and rewritten",
	mt.eom_check(conn, MT_HDRCHANGE, "From", "Alice Smith <noreply@example.com>"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "From", "Alice\r\n Smith <alice@corp.example>" } })
check("CRLF-folded From: parsed and rewritten",
	mt.eom_check(conn, MT_HDRCHANGE, "From", "Alice Smith <noreply@example.com>"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV,
	{ { "From", "Team: alice@corp.example, Bob <bob@corp.example>;" } })
check("group: one From with the approved sender",
	mt.eom_check(conn, MT_HDRCHANGE, "From", "noreply@example.com"))
check("group: both originals in Reply-To",
	mt.eom_check(conn, MT_HDRADD, "Reply-To", "alice@corp.example,\n\tBob <bob@corp.example>"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV,
	{ { "From", "Alice <alice@corp.example>" }, { "Subject", "two" }, { "From", "bob@corp.example" } })
check("two From headers: the first changed",
	mt.eom_check(conn, MT_HDRCHANGE, "From", "Alice <noreply@example.com>"))
check("two From headers: the second deleted", mt.eom_check(conn, MT_HDRDELETE, "From"))
check("two From headers: both originals kept",
	mt.eom_check(conn, MT_HDRADD, "X-Original-From", "Alice <alice@corp.example>,\n\tbob@corp.example"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "From", "app@example.com, Alice <alice@corp.example>" } })
check("two addresses, one unapproved: collapsed to one",
	mt.eom_check(conn, MT_HDRCHANGE, "From", "noreply@example.com"))
check("two addresses: both originals in Reply-To",
	mt.eom_check(conn, MT_HDRADD, "Reply-To", "app@example.com,\n\tAlice <alice@corp.example>"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV,
	{ { "From", "Alice <alice@corp.example>" }, { "Reply-To", "list@corp.example" },
	  { "X-Original-From", "forged@evil.test" } })
check("Reply-To present: not added", not mt.eom_check(conn, MT_HDRADD, "Reply-To"))
check("X-Original-From present: replaced, not doubled",
	mt.eom_check(conn, MT_HDRCHANGE, "X-Original-From", "Alice <alice@corp.example>")
	and not mt.eom_check(conn, MT_HDRADD, "X-Original-From"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "From", "<\"john.doe\"@Corp.Example>" } })
check("quoted local part: unquoted, lowercased, rewritten",
	mt.eom_check(conn, MT_HDRCHANGE, "From", "noreply@example.com")
	and mt.eom_check(conn, MT_HDRADD, "X-Original-From", "john.doe@corp.example"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "Subject", "no From" } })
check("no From, approved envelope: From inserted at the top",
	mt.eom_check(conn, MT_HDRINSERT, "From", "app@example.com", 0))
check("no From: no Reply-To or X-Original-From",
	not mt.eom_check(conn, MT_HDRADD, "Reply-To") and not mt.eom_check(conn, MT_HDRADD, "X-Original-From"))
mt.disconnect(conn)

conn, reply = message("<cron@host.local>", ENV, { { "Subject", "no From" } })
check("no From, envelope rule: the rule's sender inserted",
	mt.eom_check(conn, MT_HDRINSERT, "From", "noreply@example.com", 0))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV, { { "From", "Web <someone@else.test>" } }, "webapp")
check("SASL rule: From rewritten to the login's sender",
	mt.eom_check(conn, MT_HDRCHANGE, "From", "Web <app@example.com>"))
mt.disconnect(conn)

conn, reply = message("<app@example.com>", ENV,
	{ { "From", "A very long display name that goes on and on and on beyond seventy-eight <alice@corp.example>" } })
check("long name: folded with LF and a space, no line over 78",
	mt.eom_check(conn, MT_HDRCHANGE, "From",
		"A very long display name that goes on and on and on beyond seventy-eight\n <noreply@example.com>"))
mt.disconnect(conn)
