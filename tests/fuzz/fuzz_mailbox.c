/*
 * fuzz_mailbox.c - libFuzzer target for the From: parser and builder
 *
 * Parses the input as a header value. Every mailbox found must have a sanitised
 * name and a canonical address, and must survive the round trip: formatted with
 * each fold style, the value holds no CR, LF or NUL outside a fold, and parses
 * back to the same name and address. The input is also used as a display name:
 * format then parse must give back its sanitised form.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailbox.h"
#include "fuzz.h"

static void
fuzz_check_header_safe(const char *value, enum mailbox_fold fold)
{
	size_t i;

	for (i = 0; value[i] != '\0'; i++) {
		if (value[i] == '\r')
			FUZZ_CHECK(fold == MAILBOX_FOLD_CRLF && value[i + 1] == '\n');
		if (value[i] == '\n')
			FUZZ_CHECK(fold != MAILBOX_FOLD_NONE && value[i + 1] == ' ' &&
			           (fold == MAILBOX_FOLD_LF || (i > 0 && value[i - 1] == '\r')));
	}
}

static void
fuzz_round_trip(const char *display, const char *address)
{
	static const enum mailbox_fold folds[] = {MAILBOX_FOLD_NONE, MAILBOX_FOLD_LF,
	                                          MAILBOX_FOLD_CRLF};
	struct mailbox_list list;
	char *value, *want = mailbox_sanitize_name(display, strlen(display));
	size_t i;

	for (i = 0; i < sizeof(folds) / sizeof(folds[0]); i++) {
		value = mailbox_format(display, address, folds[i], i * 20);
		FUZZ_CHECK(value != NULL);
		fuzz_check_header_safe(value, folds[i]);
		FUZZ_CHECK(mailbox_parse_list(value, strlen(value), &list, NULL) == 0);
		FUZZ_CHECK(list.count == 1);
		FUZZ_CHECK(strcmp(list.items[0].display, want) == 0);
		FUZZ_CHECK(strcmp(list.items[0].address, address) == 0);
		mailbox_list_free(&list);
		free(value);
	}
	free(want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailbox_list list;
	const char *why = NULL;
	char *name;
	size_t i;

	if (mailbox_parse_list((const char *)data, size, &list, &why) == 0) {
		FUZZ_CHECK(list.count <= MAILBOX_LIST_MAX);
		for (i = 0; i < list.count; i++) {
			name = mailbox_sanitize_name(list.items[i].display,
			                             strlen(list.items[i].display));
			FUZZ_CHECK(strcmp(name, list.items[i].display) == 0);
			free(name);
			fuzz_round_trip(list.items[i].display, list.items[i].address);
		}
	} else {
		FUZZ_CHECK(why != NULL && list.count == 0);
	}
	mailbox_list_free(&list);
	if (size <= 4096) {
		name = malloc(size + 1);
		memcpy(name, data, size);
		name[size] = '\0';
		fuzz_round_trip(name, "user@example.com");
		free(name);
	}
	return 0;
}
