/*
 * testredis.h - a throwaway redis-server for C tests
 *
 * SYNOPSIS
 *	void testredis_init(void);                 a temporary directory and socket path
 *	void testredis_start(void);                start (fail the test if it cannot)
 *	void testredis_stop(void);                 SIGKILL, wait, remove the socket
 *	void testredis_cleanup(void);              stop and remove the directory
 *	void testredis_cmd(const char *fmt, ...);  one command on the test's own connection
 *	redisReply *testredis_query(const char *fmt, ...);   the caller frees the reply
 *
 *	extern char testredis_url[];               "unix:///tmp/.../redis.sock"
 *	extern redisContext *testredis;            the test's own connection
 *
 * DESCRIPTION
 *	The server listens only on a unix socket in a fresh temporary directory, saves
 *	nothing, and is killed by testredis_stop() (call it from a per-test teardown so a
 *	failed test leaves no server behind).
 */
#ifndef EDG_TESTREDIS_H
#define EDG_TESTREDIS_H

#include <hiredis/hiredis.h>

extern char testredis_url[];
extern redisContext *testredis;

void testredis_init(void);
void testredis_start(void);
void testredis_stop(void);
void testredis_cleanup(void);
void testredis_cmd(const char *fmt, ...);
redisReply *testredis_query(const char *fmt, ...);

#endif
