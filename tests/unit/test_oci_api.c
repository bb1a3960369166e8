/*
 * test_oci_api.c - the OCI API client against the control-plane emulator
 *
 * Starts tests/emulators/oci_control.py on a free port with the public test key
 * (the emulator checks every signature with its own verifier), resets it before
 * each test and drives its faults through the unsigned /_emu/ interface. Checks
 * listings with paging (every entry once), time filters, create/get/delete, and
 * each fault: 401 (not retried, hint), 404, 429 with Retry-After (retried after
 * the asked delay), 500 (retried), a slow answer beyond the timeout, a truncated
 * answer (rejected, or retried when the connection was cut), invalid UTF-8, a
 * wrong type, a page-token loop and endless pages; the emulator's request log
 * shows how many requests each took. Waits are recorded, not slept. Answers the
 * emulator cannot give (a page token over its bound, an empty one, Retry-After as
 * an HTTP-date, an HTML error page) come from a small libmicrohttpd server in the
 * test. Run from the repository root (make unit does).
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

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>

#include "oci_api.h"
#include "oci_key.h"
#include "timefmt.h"
#include "xalloc.h"

#define TENANCY     "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq"
#define FINGERPRINT "73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7"
#define KEY_ID      TENANCY "/ocid1.user.oc1..emutest/" FINGERPRINT
#define EMU_DATA    "tests/data/emulator/"
#define GEN_START   1577836800000LL /* 2020-01-01T00:00:00Z, the generator's default */

static char tmpdir[] = "/tmp/edg-test-oci-api-XXXXXX";
static pid_t emu_pid;
static int emu_port;

/* Waits the client asked for, instead of sleeping them. */
static long long slept[64];
static int sleeps;

static void
record_sleep(void *context, long long ms)
{
	if (sleeps < 64)
		slept[sleeps] = ms;
	sleeps++;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* ---- the emulator and its control interface ------------------------------------- */

static size_t
collect(char *data, size_t size, size_t nmemb, void *context)
{
	char **buf = context;
	size_t old = *buf ? strlen(*buf) : 0, len = size * nmemb;

	*buf = xrealloc(*buf, old + len + 1);
	memcpy(*buf + old, data, len);
	(*buf)[old + len] = '\0';
	return len;
}

/* A control request; the answer parsed (the caller frees it). */
static json_t *
emu(const char *method, const char *path, const char *body)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = curl_slist_append(NULL, "content-type: application/json");
	char url[256], *answer = NULL;
	json_t *doc;
	long status = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/_emu%s", emu_port, path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	if (body != NULL)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
	assert_int_equal(curl_easy_perform(curl), CURLE_OK);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	if (status != 200)
		fail_msg("emulator %s %s: %ld %s", method, path, status, answer ? answer : "");
	doc = json_loads(answer ? answer : "null", JSON_DECODE_ANY, NULL);
	free(answer);
	assert_non_null(doc);
	return doc;
}

static void
emu_do(const char *method, const char *path, const char *body)
{
	json_decref(emu(method, path, body));
}

/*
 * The request log since the last reset: the API requests the client sent. The
 * emulator writes an entry just after its answer, so wait until expected entries
 * are there (and a moment more, in case there are more than expected).
 */
static json_t *
emu_log(size_t expected)
{
	json_t *doc, *entries = NULL;

	for (int i = 0; i < 200; i++) {
		json_decref(entries);
		doc = emu("GET", "/log", NULL);
		entries = json_incref(json_object_get(doc, "entries"));
		json_decref(doc);
		assert_true(json_is_array(entries));
		if (json_array_size(entries) >= expected && i > 0)
			break;
		sleep_ms(20);
	}
	return entries;
}

static size_t
emu_log_count(size_t expected)
{
	json_t *entries = emu_log(expected);
	size_t n = json_array_size(entries);

	json_decref(entries);
	return n;
}

static const char *
log_field(json_t *entries, size_t i, const char *name)
{
	const char *value = json_string_value(json_object_get(json_array_get(entries, i), name));

	return value ? value : "";
}

static void
emu_start(void)
{
	char port_file[128], key[512], buf[16] = "";

	snprintf(port_file, sizeof(port_file), "%s/port", tmpdir);
	snprintf(key, sizeof(key), "%s=" EMU_DATA "public-key.pem", KEY_ID);
	if ((emu_pid = fork()) == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 2);
		execlp("python3", "python3", "tests/emulators/oci_control.py", "--port", "0",
		       "--port-file", port_file, "--key", key, "--state", EMU_DATA "state.json",
		       "--verifier", "builtin", (char *)NULL);
		_exit(127);
	}
	assert_true(emu_pid > 0);
	for (int i = 0; i < 300 && buf[0] == '\0'; i++) {
		FILE *fp = fopen(port_file, "r");

		if (fp != NULL) {
			if (fgets(buf, sizeof(buf), fp) == NULL)
				buf[0] = '\0';
			fclose(fp);
		}
		if (buf[0] == '\0')
			sleep_ms(20);
	}
	if ((emu_port = atoi(buf)) <= 0)
		fail_msg("the emulator did not start (python3 installed? run from the repo root)");
}

static int
group_setup(void **state)
{
	static const char *const proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
	                                      "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};

	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]); /* the emulator is on loopback: no proxy of the environment */
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	emu_start();
	return 0;
}

static int
group_teardown(void **state)
{
	char path[160];

	if (emu_pid > 0) {
		kill(emu_pid, SIGTERM);
		waitpid(emu_pid, NULL, 0);
	}
	snprintf(path, sizeof(path), "%s/port", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	curl_global_cleanup();
	return 0;
}

/* Before each test: the startup state, no faults, an empty log, no recorded waits. */
static int
test_setup(void **state)
{
	emu_do("POST", "/reset", NULL);
	sleeps = 0;
	return 0;
}

/* ---- the client under test ------------------------------------------------------ */

static struct oci_signer *
test_signer(const char *key_id)
{
	char pem[8192], err[256];
	FILE *fp = fopen(EMU_DATA "private-key.pem", "r");
	struct oci_signer *signer;
	EVP_PKEY *key;
	size_t len;

	assert_non_null(fp);
	len = fread(pem, 1, sizeof(pem), fp);
	fclose(fp);
	assert_int_equal(oci_key_parse_pem(pem, len, NULL, "test key", &key, err, sizeof(err)), 0);
	signer = oci_signer_new(key_id, key);
	EVP_PKEY_free(key);
	assert_non_null(signer);
	return signer;
}

static void
test_options(struct oci_api_options *options, char *endpoint, size_t size)
{
	memset(options, 0, sizeof(*options));
	snprintf(endpoint, size, "http://127.0.0.1:%d/", emu_port);
	options->endpoint = endpoint;
	options->tenancy = TENANCY;
	options->http.connect_timeout_ms = 2000;
	options->http.timeout_ms = 10000;
	options->retries = 3;
	options->retry_base_ms = 100;
	options->retry_max_delay_ms = 5000;
	options->sleep = record_sleep;
}

static struct oci_api *
test_api_with(const struct oci_api_options *options)
{
	char err[256];
	struct oci_api *api = oci_api_new(options, test_signer(KEY_ID), err, sizeof(err));

	if (api == NULL)
		fail_msg("oci_api_new: %s", err);
	return api;
}

static struct oci_api *
test_api(void)
{
	struct oci_api_options options;
	char endpoint[64];

	test_options(&options, endpoint, sizeof(endpoint));
	return test_api_with(&options);
}

/* What a suppression listing delivered: generated entries by index, others counted. */
struct seen {
	unsigned char *index_count;
	size_t index_max, other, items, pages;
	long long last_time;
	int disorder;
};

static int
on_suppressions(const struct oci_suppression *items, size_t n, void *context)
{
	static const char prefix[] = "ocid1.emailsuppression.oc1..emugen";
	struct seen *seen = context;

	seen->pages++;
	for (size_t i = 0; i < n; i++, seen->items++) {
		size_t index = strtoul(items[i].id + sizeof(prefix) - 1, NULL, 10);

		if (items[i].time_created_ms < seen->last_time)
			seen->disorder = 1;
		seen->last_time = items[i].time_created_ms;
		if (strncmp(items[i].id, prefix, sizeof(prefix) - 1) != 0 ||
		    index >= seen->index_max)
			seen->other++;
		else
			seen->index_count[index]++;
	}
	return 0;
}

static void
seen_init(struct seen *seen, size_t index_max)
{
	memset(seen, 0, sizeof(*seen));
	seen->index_max = index_max;
	seen->index_count = xcalloc(index_max, 1);
}

/* Only generated suppressions, n of them, one a second from GEN_START. */
static void
emu_generate(unsigned n)
{
	char body[64];

	emu_do("DELETE", "/suppressions", NULL);
	snprintf(body, sizeof(body), "{\"count\": %u}", n);
	emu_do("POST", "/generate", body);
}

static enum oci_api_result
pull(struct oci_api *api, struct seen *seen, struct oci_api_stats *stats,
     struct oci_api_error *error)
{
	return oci_api_list_suppressions(api, OCI_JSON_TIME_UNSET, OCI_JSON_TIME_UNSET,
	                                 on_suppressions, seen, stats, error);
}

/* ---- listings ------------------------------------------------------------------- */

static int
on_senders(const struct oci_sender *items, size_t n, void *context)
{
	json_t *list = context;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_string(items[i].email_address));
	return 0;
}

static int
list_has(json_t *list, const char *value)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (strcmp(json_string_value(json_array_get(list, i)), value) == 0)
			return 1;
	return 0;
}

static void
test_list_senders(void **state)
{
	struct oci_api *api = test_api();
	struct oci_api_stats stats;
	struct oci_api_error error;
	json_t *all = json_array(), *active = json_array();

	assert_int_equal(oci_api_list_senders(api, TENANCY, NULL, on_senders, all, &stats, &error),
	                 OCI_API_OK);
	assert_int_equal(json_array_size(all), 4); /* the fifth is in another compartment */
	assert_true(list_has(all, "@example.com"));
	assert_true(list_has(all, "old@example.org"));
	assert_int_equal(stats.total_items, 4);
	assert_int_equal(stats.pages, 1);
	assert_int_equal(
	    oci_api_list_senders(api, TENANCY, "ACTIVE", on_senders, active, &stats, &error),
	    OCI_API_OK);
	assert_int_equal(json_array_size(active), 3);
	assert_false(list_has(active, "old@example.org"));
	json_decref(all);
	json_decref(active);
	oci_api_free(api);
}

/* 2,500 generated suppressions: 3 pages of at most 1000, every entry exactly once. */
static void
test_suppressions_paging(void **state)
{
	struct oci_api *api = test_api();
	struct oci_api_stats stats;
	struct oci_api_error error;
	struct seen seen;
	json_t *entries;

	emu_generate(2500);
	seen_init(&seen, 2500);
	assert_int_equal(pull(api, &seen, &stats, &error), OCI_API_OK);
	assert_int_equal(stats.pages, 3);
	assert_int_equal(stats.items, 2500);
	assert_int_equal(stats.requests, 3);
	assert_int_equal(stats.connections, 1); /* keep-alive: one connection for all pages */
	assert_int_equal(seen.pages, 3);
	assert_int_equal(seen.other, 0);
	assert_false(seen.disorder);
	for (size_t i = 0; i < 2500; i++)
		if (seen.index_count[i] != 1)
			fail_msg("entry %zu seen %d times", i, seen.index_count[i]);
	entries = emu_log(3);
	assert_int_equal(json_array_size(entries), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_non_null(strstr(log_field(entries, i, "query"), "limit=1000"));
		assert_non_null(
		    strstr(log_field(entries, i, "query"), "sortBy=TIMECREATED&sortOrder=ASC"));
		assert_true(i == 0 || strstr(log_field(entries, i, "query"), "&page=") != NULL);
	}
	json_decref(entries);
	free(seen.index_count);
	oci_api_free(api);
}

/* [start+100 s, start+200 s): exactly entries 100..199; ':' sent as %3A. */
static void
test_time_filters(void **state)
{
	struct oci_api *api = test_api();
	struct oci_api_error error;
	struct seen seen;
	json_t *entries;

	emu_generate(2500);
	seen_init(&seen, 2500);
	assert_int_equal(oci_api_list_suppressions(api, GEN_START + 100000, GEN_START + 200000,
	                                           on_suppressions, &seen, NULL, &error),
	                 OCI_API_OK);
	assert_int_equal(seen.items, 100);
	for (size_t i = 0; i < 2500; i++)
		assert_int_equal(seen.index_count[i], i >= 100 && i < 200);
	entries = emu_log(1);
	assert_non_null(strstr(log_field(entries, 0, "query"),
	                       "timeCreatedGreaterThanOrEqualTo=2020-01-01T00%3A01%3A40.000Z&"
	                       "timeCreatedLessThan=2020-01-01T00%3A03%3A20.000Z"));
	json_decref(entries);
	free(seen.index_count);
	oci_api_free(api);
}

static void
test_create_get_delete(void **state)
{
	struct oci_api *api = test_api();
	struct oci_suppression created, fetched;
	struct oci_api_error error;

	assert_int_equal(oci_api_create_suppression(api, "New.User@Example.COM", &created, &error),
	                 OCI_API_OK);
	assert_string_equal(created.email_address, "new.user@example.com");
	assert_string_equal(created.reason, "MANUAL");
	assert_string_equal(created.compartment_id, TENANCY);
	assert_int_equal(oci_api_get_suppression(api, created.id, &fetched, &error), OCI_API_OK);
	assert_string_equal(fetched.email_address, "new.user@example.com");
	oci_suppression_free(&fetched);
	assert_int_equal(oci_api_delete_suppression(api, created.id, &error), OCI_API_OK);
	assert_int_equal(oci_api_delete_suppression(api, created.id, &error), OCI_API_NOTFOUND);
	assert_int_equal(error.status, 404);
	assert_string_equal(error.code, "NotAuthorizedOrNotFound");
	assert_int_equal(oci_api_get_suppression(api, created.id, &fetched, &error),
	                 OCI_API_NOTFOUND);
	oci_suppression_free(&created);
	assert_int_equal(emu_log_count(5), 5);

	/* Refused before any request. */
	assert_int_equal(oci_api_create_suppression(api, "not an address", &created, &error),
	                 OCI_API_ERROR);
	assert_int_equal(oci_api_delete_suppression(api, "../senders", &error), OCI_API_ERROR);
	assert_int_equal(emu_log_count(5), 5);
	oci_api_free(api);
}

static int
on_domains(const struct oci_email_domain *items, size_t n, void *context)
{
	json_t *ids = context;

	for (size_t i = 0; i < n; i++)
		json_object_set_new(ids, items[i].name, json_string(items[i].id));
	return 0;
}

static int
on_dkims(const struct oci_dkim *items, size_t n, void *context)
{
	*(size_t *)context += n;
	return 0;
}

static void
test_domains_dkims_config(void **state)
{
	struct oci_api *api = test_api();
	struct oci_email_config config;
	struct oci_api_error error;
	json_t *domains = json_object();
	size_t dkims = 0;

	assert_int_equal(
	    oci_api_list_email_domains(api, TENANCY, on_domains, domains, NULL, &error),
	    OCI_API_OK);
	assert_int_equal(json_object_size(domains), 2);
	assert_string_equal(json_string_value(json_object_get(domains, "example.com")),
	                    "ocid1.emaildomain.oc1..example");
	assert_int_equal(oci_api_list_dkims(api, "ocid1.emaildomain.oc1..example", on_dkims, &dkims,
	                                    NULL, &error),
	                 OCI_API_OK);
	assert_int_equal(dkims, 2);
	assert_int_equal(oci_api_get_email_config(api, TENANCY, &config, &error), OCI_API_OK);
	assert_non_null(strstr(config.smtp_submit_endpoint, "smtp.email."));
	oci_email_config_free(&config);
	json_decref(domains);
	oci_api_free(api);
}

/* ---- faults --------------------------------------------------------------------- */

/* 401: not retried; the error has status, code, request id and the hint. */
static void
test_401_not_retried(void **state)
{
	struct oci_api *api = test_api();
	struct oci_api_error error;
	struct seen seen;
	json_t *entries;

	emu_do("POST", "/fault", "{\"type\": \"status\", \"status\": 401}");
	seen_init(&seen, 1);
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_ERROR);
	assert_int_equal(error.status, 401);
	assert_string_equal(error.code, "NotAuthenticated");
	assert_int_equal(error.attempts, 1);
	assert_non_null(strstr(error.text, OCI_API_HINT_401));
	assert_non_null(strstr(error.text, "HTTP 401 NotAuthenticated: injected fault"));
	entries = emu_log(1);
	assert_int_equal(json_array_size(entries), 1);
	assert_string_equal(error.request_id, log_field(entries, 0, "requestId"));
	assert_non_null(strstr(error.text, error.request_id));
	json_decref(entries);
	assert_int_equal(sleeps, 0);
	free(seen.index_count);
	oci_api_free(api);
}

/* A key the emulator does not know: a real 401 from its verifier. */
static void
test_401_unknown_key(void **state)
{
	struct oci_api_options options;
	struct oci_api_error error;
	struct oci_api *api;
	struct seen seen;
	char endpoint[64], err[256];

	test_options(&options, endpoint, sizeof(endpoint));
	api = oci_api_new(&options, test_signer(TENANCY "/ocid1.user.oc1..stranger/" FINGERPRINT),
	                  err, sizeof(err));
	assert_non_null(api);
	seen_init(&seen, 1);
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_ERROR);
	assert_int_equal(error.status, 401);
	assert_non_null(strstr(error.text, "check the clock"));
	assert_int_equal(emu_log_count(1), 1);
	free(seen.index_count);
	oci_api_free(api);
}

static void
test_404(void **state)
{
	struct oci_api *api = test_api();
	struct oci_api_error error;
	json_t *list = json_array();

	emu_do("POST", "/fault", "{\"type\": \"status\", \"status\": 404, \"path\": \"/senders\"}");
	assert_int_equal(oci_api_list_senders(api, TENANCY, NULL, on_senders, list, NULL, &error),
	                 OCI_API_NOTFOUND);
	assert_int_equal(error.status, 404);
	assert_int_equal(emu_log_count(1), 1);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	oci_api_free(api);
}

/* 429 with Retry-After: 2 twice: waits of exactly 2 s, then success. */
static void
test_429_retry_after(void **state)
{
	struct oci_api *api = test_api();
	struct oci_api_stats stats;
	struct oci_api_error error;
	struct seen seen;
	json_t *entries;

	emu_generate(10);
	emu_do("POST", "/fault",
	       "{\"type\": \"status\", \"status\": 429, \"retryAfter\": 2, \"times\": 2}");
	seen_init(&seen, 10);
	assert_int_equal(pull(api, &seen, &stats, &error), OCI_API_OK);
	assert_int_equal(seen.items, 10);
	assert_int_equal(stats.requests, 3);
	assert_int_equal(sleeps, 2);
	assert_true(slept[0] == 2000 && slept[1] == 2000);
	entries = emu_log(3);
	assert_int_equal(json_array_size(entries), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(entries, 1), "status")),
	                 429);
	json_decref(entries);
	free(seen.index_count);
	oci_api_free(api);
}

/* Retry-After beyond retry_max_delay: give up at once rather than hammer, and send
 * nothing else until it has passed (at most 10 minutes are obeyed). */
static void
test_429_retry_after_too_long(void **state)
{
	struct oci_api *api = test_api();
	struct oci_api_error error;
	struct seen seen;

	emu_do("POST", "/fault", "{\"type\": \"status\", \"status\": 429, \"retryAfter\": 3600}");
	seen_init(&seen, 1);
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_TEMPFAIL);
	assert_int_equal(error.status, 429);
	assert_string_equal(error.code, "TooManyRequests");
	assert_int_equal(emu_log_count(1), 1);
	assert_int_equal(sleeps, 0);
	/* The pause holds for the whole client: the next call sends nothing. */
	emu_do("DELETE", "/faults", NULL);
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_TEMPFAIL);
	assert_non_null(strstr(error.text,
	                       "not sent: OCI asked for a pause (Retry-After in an HTTP "
	                       "429 answer), 600 s left"));
	assert_int_equal(emu_log_count(1), 1);
	assert_int_equal(sleeps, 0);
	free(seen.index_count);
	oci_api_free(api);
}

/* A 429 with its retries spent: the next call waits out the Retry-After, then sends. */
static void
test_429_pause_then_next_call(void **state)
{
	struct oci_api_options options;
	struct oci_api_error error;
	struct oci_api *api;
	struct seen seen;
	char endpoint[64];

	test_options(&options, endpoint, sizeof(endpoint));
	options.retries = 0;
	api = test_api_with(&options);
	emu_generate(10);
	emu_do("POST", "/fault",
	       "{\"type\": \"status\", \"status\": 429, \"retryAfter\": 3, \"times\": 1}");
	seen_init(&seen, 10);
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_TEMPFAIL);
	assert_int_equal(error.status, 429);
	assert_int_equal(sleeps, 0);
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_OK);
	assert_int_equal(sleeps, 1);
	assert_true(slept[0] > 2500 && slept[0] <= 3000);
	assert_int_equal(emu_log_count(2), 2);
	free(seen.index_count);
	oci_api_free(api);
}

/* 500 once: retried after a jittered wait within the first ceiling. */
static void
test_500_retried(void **state)
{
	struct oci_api *api = test_api();
	struct oci_api_error error;
	struct seen seen;

	emu_generate(10);
	emu_do("POST", "/fault", "{\"type\": \"status\", \"status\": 500, \"times\": 1}");
	seen_init(&seen, 10);
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_OK);
	assert_int_equal(seen.items, 10);
	assert_int_equal(emu_log_count(2), 2);
	assert_int_equal(sleeps, 1);
	assert_true(slept[0] >= 0 && slept[0] <= 100);
	free(seen.index_count);
	oci_api_free(api);
}

/* 503 for ever: 1 + retries requests, waits under a doubling ceiling, TEMPFAIL. */
static void
test_5xx_exhausted(void **state)
{
	struct oci_api *api = test_api();
	struct oci_api_error error;
	struct seen seen;

	emu_do("POST", "/fault", "{\"type\": \"status\", \"status\": 503}");
	seen_init(&seen, 1);
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_TEMPFAIL);
	assert_int_equal(error.status, 503);
	assert_int_equal(error.attempts, 4);
	assert_non_null(strstr(error.text, "4 attempts"));
	assert_int_equal(emu_log_count(4), 4);
	assert_int_equal(sleeps, 3);
	for (int i = 0; i < 3; i++)
		assert_true(slept[i] >= 0 && slept[i] <= 100LL << i);
	free(seen.index_count);
	oci_api_free(api);
}

/* Other 4xx are not retried; 409 IncorrectState is, 409 Conflict is not. */
static void
test_4xx_not_retried(void **state)
{
	struct oci_api *api = test_api();
	struct oci_suppression created;
	struct oci_api_error error;

	emu_do("POST", "/fault", "{\"type\": \"status\", \"status\": 400, \"times\": 1}");
	assert_int_equal(oci_api_create_suppression(api, "a@b.example", &created, &error),
	                 OCI_API_ERROR);
	assert_int_equal(error.status, 400);
	emu_do("POST", "/fault",
	       "{\"type\": \"status\", \"status\": 409, \"code\": \"Conflict\", \"times\": 1}");
	assert_int_equal(oci_api_create_suppression(api, "a@b.example", &created, &error),
	                 OCI_API_ERROR);
	assert_string_equal(error.code, "Conflict");
	assert_int_equal(emu_log_count(2), 2);
	emu_do(
	    "POST", "/fault",
	    "{\"type\": \"status\", \"status\": 409, \"code\": \"IncorrectState\", \"times\": 1}");
	assert_int_equal(oci_api_create_suppression(api, "a@b.example", &created, &error),
	                 OCI_API_OK);
	assert_int_equal(emu_log_count(4), 4);
	oci_suppression_free(&created);
	oci_api_free(api);
}

/* An answer slower than the timeout: each attempt cut at the timeout, TEMPFAIL. */
static void
test_slow_timeout(void **state)
{
	struct oci_api_options options;
	struct oci_api_error error;
	struct oci_api *api;
	struct seen seen;
	char endpoint[64];
	long long started, elapsed;

	test_options(&options, endpoint, sizeof(endpoint));
	options.http.timeout_ms = 400;
	options.retries = 1;
	api = test_api_with(&options);
	emu_do("POST", "/fault", "{\"type\": \"slow\", \"seconds\": 1.5, \"times\": 2}");
	seen_init(&seen, 1);
	started = timefmt_monotonic_ms();
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_TEMPFAIL);
	elapsed = timefmt_monotonic_ms() - started;
	assert_int_equal(error.status, 0);
	assert_int_equal(error.attempts, 2);
	assert_non_null(strstr(error.text, "timed out"));
	assert_true(elapsed >= 750 && elapsed < 1400);
	assert_int_equal(seen.items, 0);
	free(seen.index_count);
	oci_api_free(api);
	sleep_ms(1700); /* let the emulator finish the slow answers */
}

/* A slow answer once: the retry succeeds. */
static void
test_slow_once(void **state)
{
	struct oci_api_options options;
	struct oci_api_error error;
	struct oci_api *api;
	struct seen seen;
	char endpoint[64];

	test_options(&options, endpoint, sizeof(endpoint));
	options.http.timeout_ms = 400;
	api = test_api_with(&options);
	emu_generate(5);
	emu_do("POST", "/fault", "{\"type\": \"slow\", \"seconds\": 1, \"times\": 1}");
	seen_init(&seen, 5);
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_OK);
	assert_int_equal(seen.items, 5);
	assert_int_equal(sleeps, 1);
	free(seen.index_count);
	oci_api_free(api);
	sleep_ms(1100);
	assert_int_equal(emu_log_count(2), 2);
}

/* The second page cut short (honest Content-Length): rejected, not retried; the
 * first page was delivered, but the listing is not complete. */
static void
test_truncated_page(void **state)
{
	struct oci_api *api = test_api();
	struct oci_api_stats stats;
	struct oci_api_error error;
	struct seen seen;

	emu_generate(2500);
	emu_do("POST", "/fault", "{\"type\": \"truncate\", \"skip\": 1, \"times\": 1}");
	seen_init(&seen, 2500);
	assert_int_equal(pull(api, &seen, &stats, &error), OCI_API_ERROR);
	assert_non_null(strstr(error.text, "page rejected: SuppressionSummary: truncated"));
	assert_int_equal(error.status, 200);
	assert_true(error.request_id[0] != '\0');
	assert_int_equal(stats.pages, 1);
	assert_int_equal(seen.items, 1000);
	assert_int_equal(emu_log_count(2), 2);
	free(seen.index_count);
	oci_api_free(api);
}

/* The connection closed mid-answer: a network error, retried. */
static void
test_truncated_connection(void **state)
{
	struct oci_api *api = test_api();
	struct oci_api_error error;
	struct seen seen;

	emu_generate(20);
	emu_do("POST", "/fault", "{\"type\": \"truncate\", \"mode\": \"close\", \"times\": 1}");
	seen_init(&seen, 20);
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_OK);
	assert_int_equal(seen.items, 20);
	assert_int_equal(emu_log_count(2), 2);
	assert_int_equal(sleeps, 1);
	free(seen.index_count);
	oci_api_free(api);
}

static void
test_bad_utf8_and_wrong_type(void **state)
{
	struct oci_api *api = test_api();
	struct oci_api_error error;
	struct seen seen;

	emu_generate(20);
	seen_init(&seen, 20);
	emu_do("POST", "/fault", "{\"type\": \"bad_utf8\", \"times\": 1}");
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_ERROR);
	assert_non_null(strstr(error.text, "page rejected: SuppressionSummary: invalid UTF-8"));
	emu_do("POST", "/fault", "{\"type\": \"wrong_type\", \"times\": 1}");
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_ERROR);
	assert_non_null(strstr(error.text, "SuppressionSummary [0]: emailAddress: not a string"));
	emu_do(
	    "POST", "/fault",
	    "{\"type\": \"wrong_type\", \"field\": \"timeCreated\", \"value\": [1], \"times\": 1}");
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_ERROR);
	assert_non_null(strstr(error.text, "timeCreated: not a string"));
	assert_int_equal(seen.items, 0);
	assert_int_equal(emu_log_count(3), 3);
	free(seen.index_count);
	oci_api_free(api);
}

static void
test_page_loop(void **state)
{
	struct oci_api *api = test_api();
	struct oci_api_error error;
	struct seen seen;

	emu_generate(2500);
	emu_do("POST", "/fault", "{\"type\": \"page_loop\"}");
	seen_init(&seen, 2500);
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_ERROR);
	assert_non_null(strstr(error.text, "loops"));
	assert_int_equal(emu_log_count(2), 2);
	free(seen.index_count);
	oci_api_free(api);
}

static void
test_endless_pages(void **state)
{
	struct oci_api_options options;
	struct oci_api_error error;
	struct oci_api *api;
	struct seen seen;
	char endpoint[64];

	test_options(&options, endpoint, sizeof(endpoint));
	options.max_pages = 5;
	options.page_limit = 10;
	api = test_api_with(&options);
	emu_generate(20);
	emu_do("POST", "/fault", "{\"type\": \"endless\"}");
	seen_init(&seen, 20);
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_ERROR);
	assert_non_null(strstr(error.text, "more than 5 pages (max_pages)"));
	assert_int_equal(emu_log_count(5), 5);
	free(seen.index_count);
	oci_api_free(api);
}

/* A callback that says stop ends the listing with an error. */
static int
on_stop(const struct oci_suppression *items, size_t n, void *context)
{
	return 1;
}

static void
test_callback_stops(void **state)
{
	struct oci_api *api = test_api();
	struct oci_api_error error;

	emu_generate(2500);
	assert_int_equal(oci_api_list_suppressions(api, OCI_JSON_TIME_UNSET, OCI_JSON_TIME_UNSET,
	                                           on_stop, NULL, NULL, &error),
	                 OCI_API_ERROR);
	assert_non_null(strstr(error.text, "stopped by the caller"));
	assert_int_equal(emu_log_count(1), 1);
	oci_api_free(api);
}

/* An answer over body_max fails cleanly, and is not retried. */
static void
test_body_bound(void **state)
{
	struct oci_api_options options;
	struct oci_api_error error;
	struct oci_api *api;
	struct seen seen;
	char endpoint[64];

	test_options(&options, endpoint, sizeof(endpoint));
	options.http.body_max = 4096;
	api = test_api_with(&options);
	emu_generate(2500);
	seen_init(&seen, 2500);
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_ERROR);
	assert_non_null(strstr(error.text, "answer larger than 4096 bytes"));
	assert_int_equal(emu_log_count(1), 1);
	free(seen.index_count);
	oci_api_free(api);
}

/* A proxy password never shows in an error; a refused connection is TEMPFAIL. */
static void
test_proxy_secret(void **state)
{
	struct oci_api_options options;
	struct oci_api_error error;
	struct oci_api *api;
	struct seen seen;
	char endpoint[64];

	test_options(&options, endpoint, sizeof(endpoint));
	options.http.proxy = "http://edguser:Pr0xySecret@127.0.0.1:1";
	options.retries = 1;
	api = test_api_with(&options);
	seen_init(&seen, 1);
	assert_int_equal(pull(api, &seen, NULL, &error), OCI_API_TEMPFAIL);
	assert_null(strstr(error.text, "Pr0xySecret"));
	assert_int_equal(error.attempts, 2);
	free(seen.index_count);
	oci_api_free(api);
}

/* ---- answers the emulator cannot give: a libmicrohttpd server ---------------------- */

struct raw_answer {
	unsigned status;
	const char *body;
	const char *header, *value; /* one extra header, or NULL */
};

static const struct raw_answer *raw_next;
static unsigned raw_requests;

static enum MHD_Result
raw_handler(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
            const char *version, const char *upload_data, size_t *upload_data_size,
            void **request_state)
{
	struct MHD_Response *response;
	enum MHD_Result queued;

	raw_requests++;
	response = MHD_create_response_from_buffer(strlen(raw_next->body), xstrdup(raw_next->body),
	                                           MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(response, "opc-request-id", "raw-1");
	if (raw_next->header != NULL)
		MHD_add_response_header(response, raw_next->header, raw_next->value);
	queued = MHD_queue_response(connection, raw_next->status, response);
	MHD_destroy_response(response);
	return queued;
}

/* One listing of senders against the raw server answering answer each time. */
static enum oci_api_result
raw_list(const struct raw_answer *answer, long retries, struct oci_api_error *error)
{
	struct MHD_Daemon *daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	                                             raw_handler, NULL, MHD_OPTION_END);
	struct oci_api_options options;
	enum oci_api_result result;
	struct oci_api *api;
	char endpoint[64];
	json_t *list = json_array();

	assert_non_null(daemon);
	test_options(&options, endpoint, sizeof(endpoint));
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%u",
	         MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT)->port);
	options.retries = retries;
	api = test_api_with(&options);
	raw_next = answer;
	raw_requests = 0;
	sleeps = 0;
	result = oci_api_list_senders(api, TENANCY, NULL, on_senders, list, NULL, error);
	oci_api_free(api);
	MHD_stop_daemon(daemon);
	json_decref(list);
	return result;
}

static void
test_raw_answers(void **state)
{
	static char long_token[9000];
	struct raw_answer long_page = {200, "[]", "opc-next-page", long_token};
	struct raw_answer empty_page = {200, "[]", "opc-next-page", " \t"};
	struct raw_answer dated = {429, "{\"code\":\"TooManyRequests\",\"message\":\"slow down\"}",
	                           "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"};
	struct raw_answer html = {502, "<html><body>Bad Gateway</body></html>", NULL, NULL};
	struct raw_answer upper = {200, "[]", "OPC-NEXT-PAGE", "tok"};
	struct oci_api_error error;

	memset(long_token, 'a', sizeof(long_token) - 1);
	assert_int_equal(raw_list(&long_page, 3, &error), OCI_API_ERROR);
	assert_non_null(strstr(error.text, "opc-next-page longer than 8192 bytes"));
	assert_int_equal(raw_requests, 1);
	/* A token of blanks only is empty once trimmed: not "the last page". */
	assert_int_equal(raw_list(&empty_page, 3, &error), OCI_API_ERROR);
	assert_non_null(strstr(error.text, "empty opc-next-page"));
	/* An HTTP-date Retry-After is not understood: the jittered backoff applies. */
	assert_int_equal(raw_list(&dated, 1, &error), OCI_API_TEMPFAIL);
	assert_int_equal(raw_requests, 2);
	assert_int_equal(sleeps, 1);
	assert_true(slept[0] <= 100);
	assert_non_null(
	    strstr(error.text, "HTTP 429 TooManyRequests: slow down (opc-request-id raw-1"));
	/* A proxy's HTML error page: the status counts, the body is not OCI's. */
	assert_int_equal(raw_list(&html, 0, &error), OCI_API_TEMPFAIL);
	assert_non_null(strstr(error.text, "HTTP 502: no OCI error body in the answer"));
	/* Header names in any case: the same token twice is a loop. */
	assert_int_equal(raw_list(&upper, 0, &error), OCI_API_ERROR);
	assert_non_null(strstr(error.text, "loops"));
	assert_int_equal(raw_requests, 2);
}

/* ---- without the emulator ------------------------------------------------------- */

static void
test_backoff(void **state)
{
	/* The ceiling doubles from base and stops at max; the draw is random % (ceiling + 1). */
	assert_int_equal(oci_api_backoff_ms(0, 1000, 30000, 1000), 1000);
	assert_int_equal(oci_api_backoff_ms(0, 1000, 30000, 1001), 0);
	assert_int_equal(oci_api_backoff_ms(3, 1000, 30000, 8000), 8000);
	assert_int_equal(oci_api_backoff_ms(4, 1000, 30000, 16000), 16000);
	assert_int_equal(oci_api_backoff_ms(5, 1000, 30000, 30000), 30000);
	assert_int_equal(oci_api_backoff_ms(5, 1000, 30000, 32000), 32000 % 30001);
	assert_int_equal(oci_api_backoff_ms(4000000000u, 1000, 30000, 30000), 30000);
	for (unsigned long long r = 0; r < 100000; r += 977)
		assert_true(oci_api_backoff_ms(2, 1000, 30000, r * 7919) <= 4000);
	assert_int_equal(oci_api_backoff_ms(2, 0, 30000, 5), 0);
}

static void
test_new_refuses(void **state)
{
	static const char *const bad[] = {
	    "", "ftp://h", "http://", "http://h/20170907", "https://h?x", "http://u:p@h", "h:443"};
	struct oci_api_options options;
	char err[256];

	memset(&options, 0, sizeof(options));
	options.tenancy = TENANCY;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		options.endpoint = bad[i];
		assert_null(oci_api_new(&options, test_signer(KEY_ID), err, sizeof(err)));
		assert_non_null(strstr(err, "endpoint"));
	}
	options.endpoint = "https://ctrl.email.us-ashburn-1.oci.oraclecloud.com";
	options.tenancy = "not/an/ocid";
	assert_null(oci_api_new(&options, test_signer(KEY_ID), err, sizeof(err)));
	assert_null(oci_api_new(&options, NULL, err, sizeof(err)));
}

int
main(void)
{
	const struct CMUnitTest offline[] = {
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_raw_answers),
	    cmocka_unit_test(test_new_refuses),
	};
	const struct CMUnitTest emulated[] = {
	    cmocka_unit_test_setup(test_list_senders, test_setup),
	    cmocka_unit_test_setup(test_suppressions_paging, test_setup),
	    cmocka_unit_test_setup(test_time_filters, test_setup),
	    cmocka_unit_test_setup(test_create_get_delete, test_setup),
	    cmocka_unit_test_setup(test_domains_dkims_config, test_setup),
	    cmocka_unit_test_setup(test_401_not_retried, test_setup),
	    cmocka_unit_test_setup(test_401_unknown_key, test_setup),
	    cmocka_unit_test_setup(test_404, test_setup),
	    cmocka_unit_test_setup(test_429_retry_after, test_setup),
	    cmocka_unit_test_setup(test_429_retry_after_too_long, test_setup),
	    cmocka_unit_test_setup(test_429_pause_then_next_call, test_setup),
	    cmocka_unit_test_setup(test_500_retried, test_setup),
	    cmocka_unit_test_setup(test_5xx_exhausted, test_setup),
	    cmocka_unit_test_setup(test_4xx_not_retried, test_setup),
	    cmocka_unit_test_setup(test_slow_timeout, test_setup),
	    cmocka_unit_test_setup(test_slow_once, test_setup),
	    cmocka_unit_test_setup(test_truncated_page, test_setup),
	    cmocka_unit_test_setup(test_truncated_connection, test_setup),
	    cmocka_unit_test_setup(test_bad_utf8_and_wrong_type, test_setup),
	    cmocka_unit_test_setup(test_page_loop, test_setup),
	    cmocka_unit_test_setup(test_endless_pages, test_setup),
	    cmocka_unit_test_setup(test_callback_stops, test_setup),
	    cmocka_unit_test_setup(test_body_bound, test_setup),
	    cmocka_unit_test_setup(test_proxy_secret, test_setup),
	};
	int failed = cmocka_run_group_tests(offline, NULL, NULL);

	return failed + cmocka_run_group_tests(emulated, group_setup, group_teardown);
}
