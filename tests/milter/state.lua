-- state.lua - decisions while Redis is away (edg-milter, miltertest).
-- miltertest -D expect=serve: the last-known-good view answers (within max_stale);
-- -D expect=tempfail: beyond max_stale every decision is 451 4.3.0 (on_state_error =
-- tempfail); -D expect=accept: beyond max_stale, on_state_error = accept lets all pass
-- and changes nothing.
dofile("tests/milter/common.lua")

local conn = open()
if expect == "serve" then
	check("Redis down, within max_stale: approved sender continues", mail(conn, "<app@example.com>", "S1") == SMFIR_CONTINUE)
	check("Redis down, within max_stale: suppression still enforced", rcpt(conn, "<gone@example.net>") == SMFIR_REPLYCODE)
	check("Redis down, within max_stale: other recipient continues", rcpt(conn, "<alice@example.net>") == SMFIR_CONTINUE)
	headers(conn, { { "From", "Alice <alice@corp.example>" } })
	check("Redis down, within max_stale: From still rewritten", eom(conn) == SMFIR_CONTINUE
		and mt.eom_check(conn, MT_HDRCHANGE, "From", "Alice <noreply@example.com>"))
elseif expect == "accept" then
	check("on_state_error = accept: MAIL continues", mail(conn, "<cron@elsewhere.test>", "S4") == SMFIR_CONTINUE)
	check("on_state_error = accept: RCPT continues", rcpt(conn, "<gone@example.net>") == SMFIR_CONTINUE)
	headers(conn, { { "From", "Alice <alice@corp.example>" } })
	check("on_state_error = accept: message passes unchanged", eom(conn) == SMFIR_CONTINUE and unchanged(conn))
else
	check("Redis down beyond max_stale: MAIL tempfails", mail(conn, "<app@example.com>", "S2") == SMFIR_REPLYCODE)
	mt.disconnect(conn)
	conn = open()
	check("Redis down beyond max_stale: null sender passes MAIL", mail(conn, "<>", "S3") == SMFIR_CONTINUE)
	check("Redis down beyond max_stale: RCPT tempfails", rcpt(conn, "<alice@example.net>") == SMFIR_REPLYCODE)
end
mt.disconnect(conn)
