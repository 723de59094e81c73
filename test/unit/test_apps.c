/*
 * test_apps.c - app creation (identifiers, secret hashing, validation),
 * secret rotation, client authentication and resource checks. Runs against a
 * temporary SQLite store, plus a fake store for error pass-through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/error.h"
#include "common/secret.h"
#include "crypto/digest.h"
#include "domain/apps.h"
#include "domain/validate.h"
#include "store_fake.h"

struct fixture {
	char dir[64];
	char path[96];
	struct store *store;
	struct config cfg;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store_options opt;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_apps.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/db.sqlite", f->dir);
	memset(&opt, 0, sizeof(opt));
	opt.durable = false;
	if (store_open(f->path, &opt, &f->store) != BA_OK)
		return -1;
	f->cfg.max_authenticators = 7;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[128];

	store_close(f->store);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Creates an app through the store; *secret receives its plaintext secret
 * and *a the stored app. */
static void
create_app(struct fixture *f, const char *name, const char *const *res,
           size_t n, char **secret, struct model_app *a)
{
	struct store_write w;

	assert_int_equal(apps_prepare_create(name, res, n, &f->cfg, &w, secret),
	    BA_OK);
	assert_int_equal(store_write_sync(f->store, &w), BA_OK);
	assert_int_equal(store_app_get(f->store, w.in.app.app_id, a),
	    BA_OK);
	apps_write_clear(&w);
}

static void
test_create_fields(void **state)
{
	struct fixture *f = *state;
	const char *res[] = { "https://api.example.com", "urn:example:billing" };
	struct store_write w;
	uint8_t h[32];
	char *secret = NULL;

	assert_int_equal(apps_prepare_create("Shop", res, 2, &f->cfg, &w, &secret),
	    BA_OK);
	assert_int_equal(w.kind, SW_APP_CREATE);
	assert_true(strncmp(w.in.app.app_id, "app_", 4) == 0);
	assert_int_equal(strlen(w.in.app.app_id), 4 + 22);   /* 16 bytes b64url */
	assert_non_null(w.in.app.client_id);
	assert_true(strlen(w.in.app.client_id) >= 22);
	assert_string_not_equal(w.in.app.client_id, w.in.app.app_id + 4);
	assert_int_equal(strlen(secret), 43);                 /* 32 bytes b64url */
	assert_int_equal(strspn(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
	    "klmnopqrstuvwxyz0123456789-_"), 43);
	/* Only the SHA-256 of the secret is in the write. */
	sha256(secret, strlen(secret), h);
	assert_memory_equal(h, w.in.app.client_secret_hash, 32);
	assert_string_equal(w.in.app.name, "Shop");
	assert_int_equal(w.in.app.n_resources, 2);
	assert_string_equal(w.in.app.resources[0], "https://api.example.com");
	assert_string_equal(w.in.app.resources[1], "urn:example:billing");
	assert_true(w.in.app.allow_client_challenges);
	assert_int_equal(w.in.app.max_authenticators, 7);
	assert_int_equal(w.in.app.access_ttl, 0);
	assert_int_equal(w.in.app.id_ttl, 0);
	assert_int_equal(w.in.app.refresh_ttl, 0);
	assert_true(w.in.app.created_at > 1600000000);
	secret_free(secret);
	apps_write_clear(&w);
	assert_int_equal(w.kind, 0);
	assert_null(w.in.app.app_id);
}

static void
test_create_unique(void **state)
{
	struct fixture *f = *state;
	struct store_write a, b;
	char *sa = NULL, *sb = NULL;

	assert_int_equal(apps_prepare_create("A", NULL, 0, &f->cfg, &a, &sa), BA_OK);
	assert_int_equal(apps_prepare_create("A", NULL, 0, &f->cfg, &b, &sb), BA_OK);
	assert_string_not_equal(a.in.app.app_id, b.in.app.app_id);
	assert_string_not_equal(a.in.app.client_id, b.in.app.client_id);
	assert_string_not_equal(sa, sb);
	assert_int_equal(a.in.app.n_resources, 0);
	secret_free(sa);
	secret_free(sb);
	apps_write_clear(&a);
	apps_write_clear(&b);
}

/* Expects apps_prepare_create to refuse (name, res[0..n)). */
static void
refused(struct fixture *f, const char *name, const char *const *res, size_t n)
{
	struct store_write w;
	char *secret = (char *)0x1;

	assert_int_equal(apps_prepare_create(name, res, n, &f->cfg, &w, &secret),
	    BA_ERR_INVALID_REQUEST);
	assert_null(secret);
	assert_int_equal(w.kind, 0);
}

static void
test_create_validation(void **state)
{
	struct fixture *f = *state;
	const char *ok[] = { "https://a.example" };
	const char *rel[] = { "/relative/path" };
	const char *frag[] = { "https://a.example/#frag" };
	const char *space[] = { "https://a.example/a b" };
	const char *noscheme[] = { "a.example" };
	const char *empty_rest[] = { "https:" };
	const char *badscheme[] = { "1http://a.example" };
	const char *dup[] = { "https://a.example", "https://a.example" };
	const char *null_res[] = { NULL };
	const char *many[MODEL_MAX_RESOURCES + 1];
	char names[MODEL_MAX_RESOURCES + 1][32];
	char name129[130], uri513[514];
	size_t i;

	refused(f, NULL, ok, 1);
	refused(f, "", ok, 1);
	refused(f, "tab\there", ok, 1);
	refused(f, "bad \xc3\x28 utf8", ok, 1);
	refused(f, "overlong \xc0\xaf", ok, 1);
	refused(f, "c1 \xc2\x85 control", ok, 1);
	memset(name129, 'n', 129);
	name129[129] = '\0';
	refused(f, name129, ok, 1);
	refused(f, "x", rel, 1);
	refused(f, "x", frag, 1);
	refused(f, "x", space, 1);
	refused(f, "x", noscheme, 1);
	refused(f, "x", empty_rest, 1);
	refused(f, "x", badscheme, 1);
	refused(f, "x", dup, 2);
	refused(f, "x", null_res, 1);
	refused(f, "x", NULL, 1);
	memcpy(uri513, "https://", 8);
	memset(uri513 + 8, 'a', 505);
	uri513[513] = '\0';
	refused(f, "x", (const char *const[]){ uri513 }, 1);
	for (i = 0; i <= MODEL_MAX_RESOURCES; i++) {
		snprintf(names[i], sizeof(names[i]), "https://r%zu.example", i);
		many[i] = names[i];
	}
	refused(f, "x", many, MODEL_MAX_RESOURCES + 1);

	/* The limits themselves are accepted. */
	{
		struct store_write w;
		char *secret = NULL;

		name129[128] = '\0';
		uri513[512] = '\0';
		assert_int_equal(apps_prepare_create(name129,
		    (const char *const[]){ uri513 }, 1, &f->cfg, &w, &secret), BA_OK);
		secret_free(secret);
		apps_write_clear(&w);
		assert_int_equal(apps_prepare_create("Caf\xc3\xa9 \xe2\x98\x95", many,
		    MODEL_MAX_RESOURCES, &f->cfg, &w, &secret), BA_OK);
		assert_int_equal(w.in.app.n_resources, MODEL_MAX_RESOURCES);
		secret_free(secret);
		apps_write_clear(&w);
	}
}

static void
test_validate_uri(void **state)
{
	(void)state;
	assert_true(validate_absolute_uri("https://a.example/x?y=1", 512));
	assert_true(validate_absolute_uri("urn:isbn:0451450523", 512));
	assert_true(validate_absolute_uri("a+b-c.d:x", 512));
	assert_false(validate_absolute_uri(":x", 512));
	assert_false(validate_absolute_uri("ht~tp://x", 512));
	assert_false(validate_absolute_uri("https://a.example/\x7f", 512));
	assert_false(validate_absolute_uri("https://a.example/\xc3\xa9", 512));
	assert_false(validate_absolute_uri("https://abc", 10));
	assert_false(validate_absolute_uri(NULL, 512));
}

static void
test_authenticate(void **state)
{
	struct fixture *f = *state;
	const char *res[] = { "https://api.example.com" };
	struct model_app a, got;
	char *secret = NULL, *wrong;
	size_t len;

	create_app(f, "Auth", res, 1, &secret, &a);
	assert_int_equal(apps_authenticate(f->store, a.client_id, secret, &got),
	    BA_OK);
	assert_string_equal(got.app_id, a.app_id);
	assert_string_equal(got.name, "Auth");
	assert_int_equal(got.n_resources, 1);
	model_app_clear(&got);

	/* Wrong secrets: last byte changed, a prefix, a suffix, empty, NULL. */
	len = strlen(secret);
	wrong = strdup(secret);
	assert_non_null(wrong);
	wrong[len - 1] = wrong[len - 1] == 'A' ? 'B' : 'A';
	assert_int_equal(apps_authenticate(f->store, a.client_id, wrong, &got),
	    BA_ERR_INVALID_CLIENT);
	assert_null(got.app_id);   /* nothing leaks out on failure */
	wrong[len - 1] = '\0';
	assert_int_equal(apps_authenticate(f->store, a.client_id, wrong, &got),
	    BA_ERR_INVALID_CLIENT);
	free(wrong);
	wrong = malloc(len + 2);
	assert_non_null(wrong);
	snprintf(wrong, len + 2, "%sx", secret);
	assert_int_equal(apps_authenticate(f->store, a.client_id, wrong, &got),
	    BA_ERR_INVALID_CLIENT);
	free(wrong);
	assert_int_equal(apps_authenticate(f->store, a.client_id, "", &got),
	    BA_ERR_INVALID_CLIENT);
	assert_int_equal(apps_authenticate(f->store, a.client_id, NULL, &got),
	    BA_ERR_INVALID_CLIENT);
	/* The secret is not accepted as another identifier's. */
	assert_int_equal(apps_authenticate(f->store, a.app_id, secret, &got),
	    BA_ERR_INVALID_CLIENT);
	assert_int_equal(apps_authenticate(f->store, "no-such-client", secret, &got),
	    BA_ERR_INVALID_CLIENT);
	assert_int_equal(apps_authenticate(f->store, "", secret, &got),
	    BA_ERR_INVALID_CLIENT);
	assert_int_equal(apps_authenticate(f->store, NULL, secret, &got),
	    BA_ERR_INVALID_CLIENT);
	secret_free(secret);
	model_app_clear(&a);
}

static void
test_authenticate_long_inputs(void **state)
{
	struct fixture *f = *state;
	struct model_app a, got;
	char *secret = NULL, *big;

	create_app(f, "Long", NULL, 0, &secret, &a);
	big = malloc(4096);
	assert_non_null(big);
	/* A secret over the cap whose first bytes are the real secret. */
	memset(big, 'A', 4095);
	big[4095] = '\0';
	memcpy(big, secret, strlen(secret));
	assert_int_equal(apps_authenticate(f->store, a.client_id, big, &got),
	    BA_ERR_INVALID_CLIENT);
	assert_int_equal(apps_authenticate(f->store, big, secret, &got),
	    BA_ERR_INVALID_CLIENT);
	free(big);
	secret_free(secret);
	model_app_clear(&a);
}

static void
test_rotate_secret(void **state)
{
	struct fixture *f = *state;
	struct store_write w;
	struct model_app a, got;
	char *old = NULL, *new_secret = NULL;
	uint8_t h[32];

	create_app(f, "Rotate", NULL, 0, &old, &a);
	assert_int_equal(apps_prepare_rotate_secret(a.app_id, &w, &new_secret),
	    BA_OK);
	assert_int_equal(w.kind, SW_APP_SET_SECRET);
	assert_string_not_equal(old, new_secret);
	sha256(new_secret, strlen(new_secret), h);
	assert_memory_equal(h, w.in.app_secret.secret_hash, 32);
	assert_int_equal(store_write_sync(f->store, &w), BA_OK);
	apps_write_clear(&w);
	assert_int_equal(apps_authenticate(f->store, a.client_id, old, &got),
	    BA_ERR_INVALID_CLIENT);
	assert_int_equal(apps_authenticate(f->store, a.client_id, new_secret, &got),
	    BA_OK);
	model_app_clear(&got);
	secret_free(new_secret);

	assert_int_equal(apps_prepare_rotate_secret("app_missing", &w, &new_secret),
	    BA_OK);
	assert_int_equal(store_write_sync(f->store, &w), BA_ERR_NOT_FOUND);
	apps_write_clear(&w);
	secret_free(new_secret);
	assert_int_equal(apps_prepare_rotate_secret("", &w, &new_secret),
	    BA_ERR_INVALID_REQUEST);
	assert_null(new_secret);
	secret_free(old);
	model_app_clear(&a);
}

static void
test_delete(void **state)
{
	struct fixture *f = *state;
	struct store_write w;
	struct model_app a, got;
	char *secret = NULL;

	create_app(f, "Gone", NULL, 0, &secret, &a);
	assert_int_equal(apps_prepare_delete(a.app_id, &w), BA_OK);
	assert_int_equal(store_write_sync(f->store, &w), BA_OK);
	apps_write_clear(&w);
	assert_int_equal(store_app_get(f->store, a.app_id, &got),
	    BA_ERR_NOT_FOUND);
	assert_int_equal(apps_authenticate(f->store, a.client_id, secret, &got),
	    BA_ERR_INVALID_CLIENT);
	assert_int_equal(apps_prepare_delete(a.app_id, &w), BA_OK);
	assert_int_equal(store_write_sync(f->store, &w), BA_ERR_NOT_FOUND);
	apps_write_clear(&w);
	assert_int_equal(apps_prepare_delete(NULL, &w), BA_ERR_INVALID_REQUEST);
	secret_free(secret);
	model_app_clear(&a);
}

static void
test_resources(void **state)
{
	struct fixture *f = *state;
	const char *res[] = { "https://one.example", "https://two.example" };
	struct model_app a, none;
	char *secret = NULL;

	create_app(f, "Res", res, 2, &secret, &a);
	assert_string_equal(apps_default_resource(&a), "https://one.example");
	assert_true(apps_resource_allowed(&a, "https://one.example"));
	assert_true(apps_resource_allowed(&a, "https://two.example"));
	assert_false(apps_resource_allowed(&a, "https://two.example/"));
	assert_false(apps_resource_allowed(&a, "https://three.example"));
	assert_false(apps_resource_allowed(&a, NULL));
	secret_free(secret);
	model_app_clear(&a);

	create_app(f, "NoRes", NULL, 0, &secret, &none);
	assert_null(apps_default_resource(&none));
	assert_false(apps_resource_allowed(&none, "https://one.example"));
	secret_free(secret);
	model_app_clear(&none);
}

/* A store whose lookups fail: errors other than NOT_FOUND pass through. */
static void
test_store_errors(void **state)
{
	struct store fake;
	struct model_app got;

	(void)state;
	store_fake_failing(&fake, BA_ERR_STORE_UNAVAILABLE);
	assert_int_equal(apps_authenticate(&fake, "c", "s", &got),
	    BA_ERR_STORE_UNAVAILABLE);
	store_fake_failing(&fake, BA_ERR_NOT_FOUND);
	assert_int_equal(apps_authenticate(&fake, "c", "s", &got),
	    BA_ERR_INVALID_CLIENT);
	assert_int_equal(store_fake_runs(), 2);
	/* No lookup for an id no app can have. */
	assert_int_equal(apps_authenticate(&fake, "", "s", &got),
	    BA_ERR_INVALID_CLIENT);
	assert_int_equal(store_fake_runs(), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_unique, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_validation, setup, teardown),
		cmocka_unit_test(test_validate_uri),
		cmocka_unit_test_setup_teardown(test_authenticate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authenticate_long_inputs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rotate_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resources, setup, teardown),
		cmocka_unit_test(test_store_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
