-- reload.lua - SIGUSR1 in the middle of a message (edg-milter, miltertest).
-- miltertest -D reload_cmd=COMMAND: a shell command that changes the header rule's
-- target from noreply@example.com to app@example.com, sends SIGUSR1 and waits until
-- the reload is logged. A message keeps the settings it started with; the next one
-- gets the new ones.
dofile("tests/milter/common.lua")

local conn = open()
mail(conn, "<app@example.com>", "RL1")
rcpt(conn, "<alice@example.net>")
headers(conn, { { "From", "Alice <alice@corp.example>" } })
local ran = os.execute(reload_cmd)
check("reload command ran and saw the reload", ran == true or ran == 0)
check("reload mid-message: the message keeps the rules it started with", eom(conn) == SMFIR_CONTINUE
	and mt.eom_check(conn, MT_HDRCHANGE, "From", "Alice <noreply@example.com>"))
mail(conn, "<app@example.com>", "RL2")
rcpt(conn, "<alice@example.net>")
headers(conn, { { "From", "Alice <alice@corp.example>" } })
check("reload: the next message on the same connection gets the new rules", eom(conn) == SMFIR_CONTINUE
	and mt.eom_check(conn, MT_HDRCHANGE, "From", "Alice <app@example.com>"))
mt.disconnect(conn)
