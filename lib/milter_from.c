/*
 * milter_from.c - the From: headers of one message: parsed together, rebuilt
 *	(see milter_from.h)
 */
#include <stdlib.h>
#include <string.h>

#include "milter_from.h"
#include "xalloc.h"

#define MILTER_FROM_FOLD ",\n\t" /* between mailboxes of a rebuilt address list */

void
milter_from_parsed_free(struct milter_from_parsed *parsed)
{
	for (size_t i = 0; i < parsed->header_count; i++)
		mailbox_list_free(&parsed->lists[i]);
	parsed->header_count = parsed->count = 0;
}

static int
milter_from_add(struct milter_from_parsed *parsed, const struct mailbox_list *list,
                const char **why)
{
	for (size_t j = 0; j < list->count; j++) {
		if (parsed->count == MAILBOX_LIST_MAX) {
			*why = "too many addresses in From:";
			return -1;
		}
		parsed->mailbox[parsed->count] = &list->items[j];
		parsed->address[parsed->count++] = list->items[j].address;
	}
	return 0;
}

int
milter_from_parse(char *const *values, const size_t *lengths, size_t count, size_t total_bytes,
                  struct milter_from_parsed *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	if (count > MILTER_FROM_HEADERS_MAX) {
		*why = "too many From: headers";
		return -1;
	}
	if (total_bytes > MILTER_FROM_BYTES_MAX) {
		*why = "From: headers too large";
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		struct mailbox_list *list = &out->lists[i];

		if (mailbox_parse_list(values[i], lengths[i], list, why) != 0)
			return -1;
		out->header_count++;
		if (milter_from_add(out, list, why) != 0)
			return -1;
	}
	return 0;
}

const char *
milter_from_display(const struct milter_from_parsed *parsed)
{
	return parsed->count > 0 ? parsed->mailbox[0]->display : "";
}

char *
milter_from_originals(const struct milter_from_parsed *parsed, size_t used)
{
	char *joined = NULL;

	for (size_t i = 0; i < parsed->count; i++) {
		const struct mailbox *mb = parsed->mailbox[i];
		char *one =
		    mailbox_format(mb->display, mb->address, MAILBOX_FOLD_LF, i == 0 ? used : 1);
		char *next;

		if (one == NULL)
			continue;
		next = joined == NULL ? xstrdup(one)
		                      : xasprintf("%s" MILTER_FROM_FOLD "%s", joined, one);
		free(joined);
		free(one);
		joined = next;
	}
	return joined;
}

const char *
milter_from_envelope(const struct milter_from_parsed *parsed, const char *sender)
{
	for (size_t i = 0; i < parsed->count; i++)
		if (strcmp(sender, parsed->address[i]) == 0)
			return NULL;
	return parsed->count > 0 ? parsed->address[0] : NULL;
}
