/*
 * fuzz_policy.c - libFuzzer target for the policy protocol parser and the answer
 *
 * The input is fed to the parser in pieces whose sizes come from the first byte, as
 * a network would deliver it; every complete request is answered against a small
 * in-memory state. Checks: the parser never consumes more than it was given, a
 * request never exceeds the bound, and every reply is "action=..." ending in one
 * empty line with no other CR or LF and never an empty or numeric-only action.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "decide.h"
#include "policy_answer.h"
#include "policy_proto.h"
#include "state.h"
#include "fuzz.h"

static struct state *fuzz_state;
static struct edg_config *fuzz_cfg;
static struct decide_policy fuzz_policy;

static void
fuzz_init(void)
{
	static const char conf[] =
	    "[oci]\nregion = us-ashburn-1\n[rewrite]\n"
	    "rule = envelope @internal.test noreply@example.com\n"
	    "[bindings]\nenforce = yes\nbind = sasl:billing billing@example.com\n";

	fuzz_state = state_memory_new();
	state_memory_add_sender(fuzz_state, "app@example.com");
	state_memory_add_sender(fuzz_state, "noreply@example.com");
	state_memory_add_sender(fuzz_state, "@example.org");
	state_memory_add_suppression(fuzz_state, "gone@example.net", "HARDBOUNCE", 1767323045678LL,
	                             "ocid1.x");
	fuzz_cfg = config_parse_buffer(conf, sizeof(conf) - 1, "fuzz.conf", NULL);
	FUZZ_CHECK(fuzz_cfg != NULL);
	decide_policy_from_config(&fuzz_policy, fuzz_cfg, &fuzz_cfg->policyd.daemon);
}

static void
fuzz_check_reply(const char *reply)
{
	size_t len = strlen(reply);

	FUZZ_CHECK(strncmp(reply, "action=", 7) == 0);
	FUZZ_CHECK(len > 9 && reply[7] != '\n' && reply[7] != ' ');
	FUZZ_CHECK(strcmp(reply + len - 2, "\n\n") == 0);
	FUZZ_CHECK(strchr(reply, '\n') == reply + len - 2);
	FUZZ_CHECK(strchr(reply, '\r') == NULL);
	FUZZ_CHECK(!(reply[7] >= '0' && reply[7] <= '9' && reply[10] == '\n'));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_parser parser;
	size_t step, used;
	const char *why;

	if (fuzz_state == NULL)
		fuzz_init();
	if (size == 0)
		return 0;
	step = (size_t)data[0] % 16 + 1;
	data++;
	size--;
	policy_parser_init(&parser, 2048);
	while (size > 0) {
		size_t n = size < step ? size : step;
		enum policy_parse rc = policy_parse(&parser, (const char *)data, n, &used, &why);

		FUZZ_CHECK(used <= n);
		if (rc == POLICY_ERROR)
			return 0;
		FUZZ_CHECK(parser.request_bytes <= 2048);
		if (rc == POLICY_DONE) {
			struct policy_answer answer;

			policy_answer(&fuzz_policy, fuzz_state, policy_request(&parser), &answer);
			fuzz_check_reply(answer.reply);
			policy_parser_reset(&parser);
		}
		data += used;
		size -= used;
	}
	return 0;
}
