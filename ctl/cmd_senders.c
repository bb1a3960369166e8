/*
 * cmd_senders.c - edgctl senders: the approved senders and email domains in Redis
 *
 * SYNOPSIS
 *	edgctl [-c FILE] senders [--json]
 *
 * DESCRIPTION
 *	Lists what the readers approve, from the published generation (HSCAN of
 *	{p}:G:senders and {p}:G:domains): each approved sender ("@domain" entries
 *	approve every address at exactly that domain) with its OCI id, compartment and
 *	time created, and the DKIM state of its domain; then each email domain with its
 *	lifecycle state and active DKIM. A sender whose domain has no active DKIM is
 *	marked: OCI sends its mail unsigned, which receivers may refuse (DMARC).
 *	Sorted by address.
 *
 * DIAGNOSTICS
 *	Exit 0, 3 when Redis does not answer or nothing is published, 2 on a usage
 *	error, 1 on a bad configuration.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "ctl_out.h"
#include "ctl_state.h"
#include "edgctl.h"
#include "xalloc.h"

struct senders_entry {
	char *key;
	char *fields[3]; /* the value's three words; "-" when missing */
};

struct senders_table {
	struct senders_entry *items;
	size_t count, cap;
};

static const char cmd_senders_usage_text[] =
    "usage: edgctl [-c FILE] senders [--json]\n"
    "  approved senders (with their domain's DKIM) and email domains, from Redis\n"
    "exit: 0 listed, 3 Redis unavailable or nothing published\n";

static int
senders_add(const char *key, const char *value, void *arg)
{
	struct senders_table *t = arg;
	struct senders_entry *e;
	const char *p = value;

	if (t->count == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->items = xrealloc(t->items, t->cap * sizeof(*t->items));
	}
	e = &t->items[t->count++];
	e->key = xstrdup(key);
	for (size_t i = 0; i < 3; i++) {
		size_t len = strcspn(p, " ");

		e->fields[i] = len ? xstrndup(p, len) : xstrdup("-");
		p += len + (p[len] == ' ');
	}
	return 0;
}

static int
senders_compare(const void *a, const void *b)
{
	return strcmp(((const struct senders_entry *)a)->key,
	              ((const struct senders_entry *)b)->key);
}

static void
senders_free(struct senders_table *t)
{
	for (size_t i = 0; i < t->count; i++) {
		free(t->items[i].key);
		for (size_t j = 0; j < 3; j++)
			free(t->items[i].fields[j]);
	}
	free(t->items);
}

/* The active DKIM of the sender's domain: its id, "" none, NULL domain not listed. */
static const char *
senders_dkim(const struct senders_table *domains, const char *sender)
{
	const char *domain = addr_domain(sender);

	for (size_t i = 0; domain != NULL && i < domains->count; i++)
		if (strcmp(domains->items[i].key, domain) == 0)
			return strcmp(domains->items[i].fields[2], "-") != 0
			           ? domains->items[i].fields[2]
			           : "";
	return NULL;
}

static const char *
senders_dkim_word(const char *dkim)
{
	return dkim == NULL    ? "domain not listed"
	       : *dkim == '\0' ? "no active DKIM"
	                       : "DKIM active";
}

static void
senders_print_json(const struct senders_table *senders, const struct senders_table *domains)
{
	json_t *root = json_object(), *s = json_array(), *d = json_array();

	for (size_t i = 0; i < senders->count; i++) {
		const struct senders_entry *e = &senders->items[i];
		const char *dkim = senders_dkim(domains, e->key);

		json_array_append_new(s, json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "address",
		                                   e->key, "id", e->fields[0], "compartment",
		                                   e->fields[1], "time_created", e->fields[2],
		                                   "domain_dkim", ctl_out_string(dkim),
		                                   "dkim_state", senders_dkim_word(dkim)));
	}
	for (size_t i = 0; i < domains->count; i++) {
		const struct senders_entry *e = &domains->items[i];

		json_array_append_new(
		    d, json_pack("{s:s, s:s, s:s, s:o}", "domain", e->key, "id", e->fields[0],
		                 "lifecycle_state", e->fields[1], "active_dkim",
		                 ctl_out_string(strcmp(e->fields[2], "-") ? e->fields[2] : "")));
	}
	json_object_set_new(root, "senders", s);
	json_object_set_new(root, "domains", d);
	ctl_out_json(root);
}

static void
senders_print(const struct senders_table *senders, const struct senders_table *domains)
{
	printf("approved senders (%zu):\n", senders->count);
	for (size_t i = 0; i < senders->count; i++) {
		const struct senders_entry *e = &senders->items[i];
		const char *dkim = senders_dkim(domains, e->key);

		printf("  %-32s %s%s  %s  %s\n", e->key, senders_dkim_word(dkim),
		       dkim != NULL && *dkim == '\0' ? " (WARNING)" : "", e->fields[2],
		       e->fields[0]);
	}
	printf("email domains (%zu):\n", domains->count);
	for (size_t i = 0; i < domains->count; i++) {
		const struct senders_entry *e = &domains->items[i];

		printf("  %-32s %-10s DKIM %s  %s\n", e->key, e->fields[1],
		       strcmp(e->fields[2], "-") ? e->fields[2] : "none", e->fields[0]);
	}
}

/* Both hashes, sorted; an exit code. */
static int
senders_load(const struct edg_config *cfg, struct senders_table *senders,
             struct senders_table *domains)
{
	struct state_writer *w = ctl_state_writer(cfg);
	char err[256];
	long long gen;
	int rc = EDGCTL_STATE;

	if (w == NULL)
		return EDGCTL_FAIL;
	if ((gen = state_writer_generation(w, err, sizeof(err))) == 0)
		snprintf(err, sizeof(err), "nothing published yet (edg-syncd has not synced)");
	else if (gen > 0 &&
	         state_writer_scan(w, STATE_KIND_SENDER, senders_add, senders, err, sizeof(err)) ==
	             0 &&
	         state_writer_scan(w, STATE_KIND_DOMAIN, senders_add, domains, err, sizeof(err)) ==
	             0)
		rc = EDGCTL_OK;
	if (rc != EDGCTL_OK)
		fprintf(stderr, "edgctl: redis: %s\n", err);
	state_writer_close(w);
	if (senders->count > 1)
		qsort(senders->items, senders->count, sizeof(*senders->items), senders_compare);
	if (domains->count > 1)
		qsort(domains->items, domains->count, sizeof(*domains->items), senders_compare);
	return rc;
}

int
cmd_senders(int argc, char **argv, const char *config_path)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct senders_table senders = {0}, domains = {0};
	struct edg_config *cfg;
	int json = 0, ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		if (ch == 'c') {
			config_path = optarg;
		} else if (ch == 'j') {
			json = 1;
		} else {
			fputs(cmd_senders_usage_text, ch == 'h' ? stdout : stderr);
			return ch == 'h' ? EDGCTL_OK : EDGCTL_USAGE;
		}
	}
	if (optind != argc) {
		fputs(cmd_senders_usage_text, stderr);
		return EDGCTL_USAGE;
	}
	if ((cfg = config_load(config_path, stderr)) == NULL)
		return EDGCTL_FAIL;
	if ((rc = senders_load(cfg, &senders, &domains)) == EDGCTL_OK) {
		if (json)
			senders_print_json(&senders, &domains);
		else
			senders_print(&senders, &domains);
	}
	senders_free(&senders);
	senders_free(&domains);
	config_free(cfg);
	return rc;
}
