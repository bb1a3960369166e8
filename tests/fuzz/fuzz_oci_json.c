/*
 * fuzz_oci_json.c - libFuzzer target for the OCI JSON mappers (oci_json.c)
 *
 * DESCRIPTION
 *	Every input goes through every mapper: ListSenders, ListSuppressions,
 *	Get/CreateSuppression, ListEmailDomains, ListDkims, GetEmailConfiguration and
 *	the error body. Beyond "no crash, no leak", the target checks what oci_json.h
 *	promises and aborts when a promise is broken: a failure leaves nothing behind
 *	(items NULL, count 0) and says why; a success gives at most OCI_JSON_ITEMS_MAX
 *	items whose required strings are set and bounded, whose ids hold only OCID
 *	characters, whose addresses are canonical (lowercase ASCII letters) and whose
 *	required times are set. Seeds: tests/fuzz/seeds/fuzz_oci_json/ (the
 *	emulator's answers for each operation, and broken variants); dictionary:
 *	tests/fuzz/fuzz_oci_json.dict.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_require(int condition)
{
	if (!condition)
		abort();
}

static void
fuzz_check_id(const char *id, int required)
{
	size_t len;

	if (id == NULL) {
		fuzz_require(!required);
		return;
	}
	len = strlen(id);
	fuzz_require(len > 0 && len <= OCI_JSON_ID_MAX);
	fuzz_require(
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == len);
}

/* Canonical: no ASCII capital letter, no control byte (a quoted local part may hold a blank). */
static void
fuzz_check_address(const char *address)
{
	fuzz_require(address != NULL && address[0] != '\0');
	for (const unsigned char *p = (const unsigned char *)address; *p; p++)
		fuzz_require(!(*p >= 'A' && *p <= 'Z') && *p >= 0x20 && *p != 0x7f);
}

static void
fuzz_check_failure(int rc, const char *err, size_t count, const void *items)
{
	if (rc == 0)
		return;
	fuzz_require(rc == -1 && err[0] != '\0' && count == 0 && items == NULL);
}

static void
fuzz_senders(const uint8_t *data, size_t size, char *err, size_t errsize)
{
	struct oci_sender_list list;
	int rc = oci_json_senders(data, size, &list, err, errsize);

	fuzz_check_failure(rc, err, list.count, list.items);
	fuzz_require(list.count <= OCI_JSON_ITEMS_MAX);
	for (size_t i = 0; i < list.count; i++) {
		fuzz_check_id(list.items[i].id, 1);
		fuzz_check_id(list.items[i].compartment_id, 1);
		fuzz_check_id(list.items[i].email_ip_pool_id, 0);
		fuzz_check_address(list.items[i].email_address);
		fuzz_require(list.items[i].lifecycle_state != NULL);
		fuzz_require(list.items[i].time_created_ms != OCI_JSON_TIME_UNSET);
	}
	oci_sender_list_free(&list);
}

static void
fuzz_check_suppression(const struct oci_suppression *s)
{
	fuzz_check_id(s->id, 1);
	fuzz_check_id(s->compartment_id, 1);
	fuzz_check_address(s->email_address);
	fuzz_require(s->reason != NULL && strlen(s->reason) <= OCI_JSON_TOKEN_MAX);
	fuzz_require(s->time_created_ms != OCI_JSON_TIME_UNSET);
	fuzz_require(s->error_detail == NULL || strlen(s->error_detail) <= OCI_JSON_TEXT_MAX);
	fuzz_require(s->message_id == NULL || strlen(s->message_id) <= OCI_JSON_NAME_MAX);
}

static void
fuzz_suppressions(const uint8_t *data, size_t size, char *err, size_t errsize)
{
	struct oci_suppression_list list;
	struct oci_suppression one;
	int rc = oci_json_suppressions(data, size, &list, err, errsize);

	fuzz_check_failure(rc, err, list.count, list.items);
	for (size_t i = 0; i < list.count; i++)
		fuzz_check_suppression(&list.items[i]);
	oci_suppression_list_free(&list);
	if (oci_json_suppression(data, size, &one, err, errsize) == 0)
		fuzz_check_suppression(&one);
	else
		fuzz_require(one.id == NULL && one.email_address == NULL);
	oci_suppression_free(&one);
}

static void
fuzz_domains_and_dkims(const uint8_t *data, size_t size, char *err, size_t errsize)
{
	struct oci_email_domain_list domains;
	struct oci_dkim_list dkims;
	int rc = oci_json_email_domains(data, size, &domains, err, errsize);

	fuzz_check_failure(rc, err, domains.count, domains.items);
	for (size_t i = 0; i < domains.count; i++) {
		fuzz_check_id(domains.items[i].id, 1);
		fuzz_check_id(domains.items[i].active_dkim_id, 0);
		fuzz_check_address(domains.items[i].name);
		fuzz_require(domains.items[i].is_spf >= -1 && domains.items[i].is_spf <= 1);
	}
	oci_email_domain_list_free(&domains);
	rc = oci_json_dkims(data, size, &dkims, err, errsize);
	fuzz_check_failure(rc, err, dkims.count, dkims.items);
	for (size_t i = 0; i < dkims.count; i++) {
		fuzz_check_id(dkims.items[i].email_domain_id, 1);
		fuzz_require(dkims.items[i].name != NULL);
	}
	oci_dkim_list_free(&dkims);
}

static void
fuzz_objects(const uint8_t *data, size_t size, char *err, size_t errsize)
{
	struct oci_email_config config;
	struct oci_error_body error_body;

	if (oci_json_email_config(data, size, &config, err, errsize) == 0)
		fuzz_require(config.smtp_submit_endpoint != NULL);
	oci_email_config_free(&config);
	if (oci_json_error(data, size, &error_body, err, errsize) == 0)
		fuzz_require(error_body.code != NULL && error_body.message != NULL &&
		             strlen(error_body.message) <= OCI_JSON_TEXT_MAX);
	oci_error_body_free(&error_body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];

	err[0] = '\0';
	fuzz_senders(data, size, err, sizeof(err));
	fuzz_suppressions(data, size, err, sizeof(err));
	fuzz_domains_and_dkims(data, size, err, sizeof(err));
	fuzz_objects(data, size, err, sizeof(err));
	return 0;
}
