-- common.lua - helpers for edg-milter's miltertest scripts (loaded with dofile).
--
--   check(name, cond, detail)     print "TAP ok NAME" or "TAP not ok NAME: DETAIL";
--                                 tests/integration/milter_miltertest.sh turns these
--                                 into TAP lines
--   open([ip])                    connect to the milter at the global `socket`
--                                 (miltertest -D socket=PATH), negotiate, send the
--                                 connection (client ip, default 192.0.2.10;
--                                 "unspec": no address, as "sendmail -bs")
--   mail(conn, sender, qid[, login])  MAIL FROM with the i and {auth_authen} macros;
--                                 returns the milter's reply
--   rcpt(conn, rcpt)              RCPT TO; returns the reply
--   headers(conn, list)           each {name, value} of list as a header
--   eom(conn)                     end of message; returns the reply
--   message(sender, rcpts, hdrs)  all of the above on a new connection: returns the
--                                 connection and the end-of-message reply
--   unchanged(conn)               true when end of message changed no header
--
-- The MTA side here is miltertest's, with libmilter's default protocol offer.

function check(name, cond, detail)
	if cond then
		print("TAP ok " .. name)
	else
		print("TAP not ok " .. name .. ": " .. tostring(detail))
	end
end

function open(ip)
	local conn = mt.connect("unix:" .. socket, 50, 0.1)
	if conn == nil then
		error("cannot connect to unix:" .. socket)
	end
	local err = mt.negotiate(conn, nil, nil, nil)
	if err ~= nil then
		error("negotiate: " .. err)
	end
	err = mt.conninfo(conn, "client.example", ip or "192.0.2.10")
	if err ~= nil then
		error("conninfo: " .. err)
	end
	return conn
end

function mail(conn, sender, qid, login)
	if login ~= nil then
		mt.macro(conn, SMFIC_MAIL, "i", qid, "{auth_authen}", login)
	else
		mt.macro(conn, SMFIC_MAIL, "i", qid)
	end
	local err = mt.mailfrom(conn, sender)
	if err ~= nil then
		error("mailfrom: " .. err)
	end
	return mt.getreply(conn)
end

function rcpt(conn, address)
	local err = mt.rcptto(conn, address)
	if err ~= nil then
		error("rcptto: " .. err)
	end
	return mt.getreply(conn)
end

function headers(conn, list)
	for _, h in ipairs(list) do
		local err = mt.header(conn, h[1], h[2])
		if err ~= nil then
			error("header " .. h[1] .. ": " .. err)
		end
	end
end

function eom(conn)
	local err = mt.eom(conn)
	if err ~= nil then
		error("eom: " .. err)
	end
	return mt.getreply(conn)
end

function message(sender, rcpts, hdrs, login)
	local conn = open()
	local reply = mail(conn, sender, "QID" .. math.random(100000, 999999), login)
	if reply ~= SMFIR_CONTINUE then
		return conn, reply
	end
	for _, r in ipairs(rcpts) do
		rcpt(conn, r)
	end
	headers(conn, hdrs)
	return conn, eom(conn)
end

function unchanged(conn)
	return not mt.eom_check(conn, MT_HDRCHANGE) and not mt.eom_check(conn, MT_HDRADD) and
		not mt.eom_check(conn, MT_HDRDELETE) and not mt.eom_check(conn, MT_HDRINSERT)
end

function done(conn)
	mt.disconnect(conn)
end
