/*
 * testredis.c - a throwaway redis-server for C tests (see testredis.h)
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testredis.h"

char testredis_url[300];
redisContext *testredis;
static char testredis_dir[] = "/tmp/edg-testredis-XXXXXX";
static char testredis_sock[256];
static pid_t testredis_pid;

void
testredis_init(void)
{
	if (mkdtemp(testredis_dir) == NULL)
		fail_msg("mkdtemp");
	snprintf(testredis_sock, sizeof(testredis_sock), "%s/redis.sock", testredis_dir);
	snprintf(testredis_url, sizeof(testredis_url), "unix://%s", testredis_sock);
}

void
testredis_start(void)
{
	struct timespec pause = {0, 10 * 1000000};

	testredis_pid = fork();
	if (testredis_pid < 0)
		fail_msg("fork");
	if (testredis_pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 1);
		dup2(devnull, 2);
		execlp("redis-server", "redis-server", "--port", "0", "--unixsocket",
		       testredis_sock, "--unixsocketperm", "700", "--dir", testredis_dir, "--save",
		       "", "--appendonly", "no", "--maxclients", "10000", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300; i++) {
		testredis = redisConnectUnix(testredis_sock);
		if (testredis != NULL && !testredis->err)
			return;
		if (testredis != NULL)
			redisFree(testredis);
		testredis = NULL;
		nanosleep(&pause, NULL);
	}
	fail_msg("redis-server did not start (is it installed?)");
}

void
testredis_stop(void)
{
	if (testredis != NULL)
		redisFree(testredis);
	testredis = NULL;
	if (testredis_pid <= 0)
		return;
	kill(testredis_pid, SIGKILL);
	waitpid(testredis_pid, NULL, 0);
	testredis_pid = 0;
	unlink(testredis_sock);
}

void
testredis_cleanup(void)
{
	char cmd[400];

	testredis_stop();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", testredis_dir);
	if (system(cmd) != 0)
		fail_msg("cannot remove %s", testredis_dir);
}

static redisReply *
testredis_vquery(const char *fmt, va_list ap)
{
	redisReply *reply = redisvCommand(testredis, fmt, ap);

	if (reply == NULL)
		fail_msg("redis: %s", testredis->errstr);
	if (reply->type == REDIS_REPLY_ERROR)
		fail_msg("redis: %s", reply->str);
	return reply;
}

redisReply *
testredis_query(const char *fmt, ...)
{
	va_list ap;
	redisReply *reply;

	va_start(ap, fmt);
	reply = testredis_vquery(fmt, ap);
	va_end(ap);
	return reply;
}

void
testredis_cmd(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	freeReplyObject(testredis_vquery(fmt, ap));
	va_end(ap);
}
