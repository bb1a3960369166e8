-- monitor.lua - mode = monitor: everything passes, nothing changes (edg-milter).
dofile("tests/milter/common.lua")

local conn = open()
check("monitor: unapproved sender passes MAIL", mail(conn, "<cron@elsewhere.test>", "M1") == SMFIR_CONTINUE)
check("monitor: suppressed recipient passes", rcpt(conn, "<gone@example.net>") == SMFIR_CONTINUE)
headers(conn, { { "From", "stranger@elsewhere.test" } })
check("monitor: unapproved From without a rule passes", eom(conn) == SMFIR_CONTINUE and unchanged(conn))
mt.disconnect(conn)

local reply
conn, reply = message("<app@example.com>", { "<alice@example.net>" }, { { "From", "Alice <alice@corp.example>" } })
check("monitor: a rewrite is only logged", reply == SMFIR_CONTINUE and unchanged(conn))
mt.disconnect(conn)
