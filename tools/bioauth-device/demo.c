/*
 * demo.c - `bioauth-device demo`: the whole mobile-biometrics flow against a
 * live bioauthd, played by one process acting as backend and phone.
 *
 *   backend  POST /oidc/token (client_credentials)       -> client token
 *   backend  POST /v1/users                              -> a fresh user
 *   backend  POST /v1/auth/password/authenticate         -> user token
 *   phone    keygen                                      -> publicKey
 *   backend  POST /v1/auth/mobile-biometrics/register    (user token)
 *   backend  POST /v1/auth/mobile-biometrics/start       -> challenge
 *   phone    sign(challenge)                             -> signature
 *   backend  POST /v1/auth/mobile-biometrics/authenticate -> tokens
 *   backend  DELETE /v1/auth/mobile-biometrics/delete    (user token)
 *   backend  /start + sign + /authenticate again         -> must fail now
 *
 * Each step prints its name, the request line and the HTTP status; any
 * status other than the documented one stops the demo with exit status 1.
 * Token payloads are decoded for display only; their signatures are NOT
 * verified here (a real backend verifies them against /oidc/jwks).
 */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define URL_MAX 2048

static const char usage_demo[] =
	"usage: bioauth-device demo --server URL --client-id ID [--client-secret S]\n"
	"                           [--type ec|rsa] [--platform ios|android] [--store DIR]\n"
	"                           [--attest-ca D]\n"
	"\n"
	"Runs register + login against a live bioauthd: client token, new user,\n"
	"password login, keygen, register, /start, sign, authenticate (decoded\n"
	"tokens shown, signatures not verified), delete, and a second authenticate\n"
	"that must now fail. The client secret may come from $BIOAUTH_CLIENT_SECRET\n"
	"instead of the command line. Exit status 0 when every step returned the\n"
	"documented status, 1 otherwise.\n"
	"--attest-ca D (a test CA of `attest-ca init`, whose root.pem the server\n"
	"trusts through --attestation-trust-anchors) makes the registration an\n"
	"attested one: an Android key, a /start challenge for the registration and\n"
	"the Keystore-style attestation over it; the tokens then carry amr \"hwk\".\n";

struct demo {
	char server[URL_MAX];      /* base URL without trailing '/' */
	const char *client_id;
	const char *client_secret;
	char *client_token;
	char *user_token;
	char *user_id;
	bioauth_keystore *ks;
	bioauth_key *key;
	const char *attest_ca;     /* --attest-ca: attested registration */
	int key_stored;
	int step;
};

static void step_title(struct demo *d, const char *title)
{
	d->step++;
	printf("\n[%d] %s\n", d->step, title);
}

/* Prints one line of a step's detail, indented under its title. */
static void detail(const char *label, const char *value)
{
	printf("    %-14s %s\n", label, value);
}

/* Prints a JSON value compactly (for response bodies). */
static void detail_json(const char *label, const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	detail(label, s != NULL ? s : "(unprintable)");
	free(s);
}

/* Prints the error body of an unexpected response, as one line. */
static void show_error_body(const struct http_response *resp)
{
	json_t *j = json_loadb(resp->body, resp->len, 0, NULL);

	if (j != NULL)
		detail_json("body:", j);
	else if (resp->len > 0)
		printf("    %-14s %.300s\n", "body:", resp->body);
	json_decref(j);
}

/*
 * Sends one request to the server and checks its status against `expect`.
 * With a JSON body in `json` (consumed) it is sent as application/json;
 * `form` is sent as application/x-www-form-urlencoded. On the expected
 * status, *out (if given) receives the parsed response object (NULL for an
 * empty body). Returns 0, or CLI_EXIT_FAIL after printing what went wrong.
 */
static int call(struct demo *d, const char *method, const char *path, const char *bearer,
                int basic, json_t *json, const char *form, const long *expect, size_t n_expect,
                json_t **out, long *status)
{
	struct http_request req = {0};
	struct http_response resp = {0};
	char url[URL_MAX + 256];
	char *body = NULL, *user = NULL, *pass = NULL;
	int rc = CLI_EXIT_FAIL, ok = 0;
	size_t i;

	if (out != NULL)
		*out = NULL;
	if (json != NULL) {
		body = json_dumps(json, JSON_COMPACT);
		json_decref(json);
		if (body == NULL) {
			cli_err("cannot encode the request body");
			return CLI_EXIT_FAIL;
		}
	}
	snprintf(url, sizeof(url), "%s%s", d->server, path);
	req.method = method;
	req.url = url;
	req.bearer = bearer;
	if (basic) {
		/* RFC 6749 2.3.1: both are form-encoded before Basic encoding. */
		user = http_form_escape(d->client_id);
		pass = http_form_escape(d->client_secret);
		if (user == NULL || pass == NULL) {
			cli_err("out of memory");
			goto out;
		}
		req.basic_user = user;
		req.basic_pass = pass;
	}
	if (body != NULL) {
		req.body = body;
		req.content_type = "application/json";
	} else if (form != NULL) {
		req.body = form;
		req.content_type = "application/x-www-form-urlencoded";
	}
	printf("    %s %s\n", method, path);
	if (http_do(&req, &resp) != 0)
		goto out;
	printf("    -> HTTP %ld\n", resp.status);
	if (status != NULL)
		*status = resp.status;
	for (i = 0; i < n_expect; i++)
		if (resp.status == expect[i])
			ok = 1;
	if (!ok) {
		show_error_body(&resp);
		cli_err("%s %s: unexpected HTTP status %ld", method, path, resp.status);
		goto out;
	}
	if (out != NULL && resp.len > 0) {
		json_error_t jerr;

		*out = json_loadb(resp.body, resp.len, 0, &jerr);
		if (*out == NULL || !json_is_object(*out)) {
			json_decref(*out);
			*out = NULL;
			cli_err("%s %s: response is not a JSON object", method, path);
			goto out;
		}
	}
	rc = 0;
out:
	free(body);
	free(user);
	if (pass != NULL) {
		OPENSSL_cleanse(pass, strlen(pass));
		free(pass);
	}
	if (resp.body != NULL)
		OPENSSL_cleanse(resp.body, resp.len);   /* may hold tokens */
	http_response_clear(&resp);
	return rc;
}

/* A string member of a response, or NULL (after an error line) if absent. */
static const char *need_string(const json_t *obj, const char *name, const char *what)
{
	const char *s = json_string_value(json_object_get(obj, name));

	if (s == NULL || s[0] == '\0')
		cli_err("%s: response has no string '%s'", what, name);
	return s;
}

/* Duplicates a string member of obj into *dst; CLI_EXIT_FAIL if missing. */
static int take_string(const json_t *obj, const char *name, const char *what, char **dst)
{
	const char *s = need_string(obj, name, what);

	if (s == NULL)
		return CLI_EXIT_FAIL;
	*dst = strdup(s);
	if (*dst == NULL) {
		cli_err("out of memory");
		return CLI_EXIT_FAIL;
	}
	return 0;
}

/* Base64url (no padding expected, '=' tolerated at the end) into bytes. */
static int b64url_decode(const char *in, size_t len, unsigned char **out, size_t *out_len)
{
	unsigned char *buf;
	unsigned int acc = 0;
	size_t i, n = 0;
	int bits = 0;

	while (len > 0 && in[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -1;
	buf = malloc(len / 4 * 3 + 3);
	if (buf == NULL)
		return -1;
	for (i = 0; i < len; i++) {
		char c = in[i];
		unsigned int v;

		if (c >= 'A' && c <= 'Z')
			v = (unsigned int)(c - 'A');
		else if (c >= 'a' && c <= 'z')
			v = (unsigned int)(c - 'a' + 26);
		else if (c >= '0' && c <= '9')
			v = (unsigned int)(c - '0' + 52);
		else if (c == '-')
			v = 62;
		else if (c == '_')
			v = 63;
		else {
			free(buf);
			return -1;
		}
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)((acc >> bits) & 0xff);
		}
	}
	*out = buf;
	*out_len = n;
	return 0;
}

/*
 * Prints the decoded header and payload of a JWT. Display only: the
 * signature is not checked.
 */
static void show_jwt(const char *label, const char *jwt)
{
	const char *dot1, *dot2;
	const char *parts[2];
	size_t lens[2];
	int i;

	dot1 = strchr(jwt, '.');
	dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
	if (dot2 == NULL) {
		detail(label, "(not a JWS compact token)");
		return;
	}
	parts[0] = jwt;
	lens[0] = (size_t)(dot1 - jwt);
	parts[1] = dot1 + 1;
	lens[1] = (size_t)(dot2 - dot1 - 1);
	printf("    %s (decoded, signature not verified):\n", label);
	for (i = 0; i < 2; i++) {
		unsigned char *raw = NULL;
		size_t raw_len = 0;
		json_t *j = NULL;
		char *s = NULL;

		if (b64url_decode(parts[i], lens[i], &raw, &raw_len) == 0)
			j = json_loadb((const char *)raw, raw_len, 0, NULL);
		if (j != NULL)
			s = json_dumps(j, JSON_INDENT(2));
		if (s != NULL) {
			const char *line = s;

			printf("      %s:\n", i == 0 ? "header" : "payload");
			while (*line != '\0') {
				const char *nl = strchr(line, '\n');
				int n = nl != NULL ? (int)(nl - line) : (int)strlen(line);

				printf("        %.*s\n", n, line);
				line += n + (nl != NULL ? 1 : 0);
			}
		} else {
			printf("      %s: (undecodable)\n", i == 0 ? "header" : "payload");
		}
		free(s);
		json_decref(j);
		free(raw);
	}
}

/* A random lower-case hex string of 2*n characters. */
static int random_hex(char *out, size_t n)
{
	unsigned char rnd[32];
	size_t i;

	if (n > sizeof(rnd) || RAND_bytes(rnd, (int)n) != 1)
		return -1;
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

static int step_client_token(struct demo *d)
{
	static const long ok[] = {200};
	json_t *resp = NULL;
	int rc;

	step_title(d, "client access token (backend; client_credentials, HTTP Basic)");
	rc = call(d, "POST", "/oidc/token", NULL, 1, NULL, "grant_type=client_credentials", ok,
	          ARRAY_LEN(ok), &resp, NULL);
	if (rc == 0)
		rc = take_string(resp, "access_token", "token", &d->client_token);
	if (rc == 0)
		show_jwt("access_token", d->client_token);
	json_decref(resp);
	return rc;
}

static int step_create_user(struct demo *d, const char *username, const char *password)
{
	static const long ok[] = {201};
	json_t *resp = NULL;
	int rc;

	step_title(d, "create a user (backend; client token)");
	rc = call(d, "POST", "/v1/users", d->client_token, 0,
	          json_pack("{s:s, s:{s:s}}", "username", username, "credentials",
	                    "password", password), NULL, ok, ARRAY_LEN(ok), &resp, NULL);
	/* Transmit's Users API shape: the user is the answer's "result". */
	if (rc == 0)
		rc = take_string(json_object_get(resp, "result"), "user_id", "create user",
		                 &d->user_id);
	if (rc == 0) {
		detail("user_id:", d->user_id);
		detail("username:", username);
	}
	json_decref(resp);
	return rc;
}

static int step_password_login(struct demo *d, const char *username, const char *password)
{
	static const long ok[] = {200};
	json_t *resp = NULL;
	int rc;

	step_title(d, "password login -> user access token (backend; client token)");
	rc = call(d, "POST", "/v1/auth/password/authenticate", d->client_token, 0,
	          json_pack("{s:s, s:s}", "username", username, "password", password), NULL, ok,
	          ARRAY_LEN(ok), &resp, NULL);
	if (rc == 0)
		rc = take_string(resp, "access_token", "password login", &d->user_token);
	if (rc == 0)
		show_jwt("access_token", d->user_token);
	json_decref(resp);
	return rc;
}

static int step_keygen(struct demo *d, bioauth_key_type type, bioauth_platform platform)
{
	char *pub = NULL;
	bioauth_err r;

	step_title(d, "generate a device key (phone)");
	r = bioauth_key_generate(type, platform, NULL, &d->key);
	if (r == BIOAUTH_OK) {
		r = bioauth_keystore_save(d->ks, d->key, NULL, 0);
		d->key_stored = r == BIOAUTH_OK;
	}
	if (r == BIOAUTH_OK)
		r = bioauth_key_export_public_b64(d->key, BIOAUTH_PUBKEY_DEFAULT, &pub);
	if (r != BIOAUTH_OK) {
		cli_err("keygen: %s", bioauth_strerror(r));
		return CLI_EXIT_FAIL;
	}
	detail("publicKeyId:", bioauth_key_get_id(d->key));
	detail("keyType:", bioauth_key_type_name(type));
	detail("os:", bioauth_platform_name(platform));
	detail("publicKey:", pub);
	detail("keystore:", bioauth_keystore_get_dir(d->ks));
	bioauth_buffer_free(pub);
	return 0;
}

/* /start for the user; *challenge is malloc'd. */
static int step_start(struct demo *d, char **challenge)
{
	static const long ok[] = {200};
	json_t *resp = NULL;
	int rc;

	step_title(d, "ask for a challenge (backend; client token)");
	rc = call(d, "POST", "/v1/auth/mobile-biometrics/start", d->client_token, 0,
	          json_pack("{s:s}", "user_id", d->user_id), NULL, ok, ARRAY_LEN(ok), &resp, NULL);
	if (rc == 0)
		rc = take_string(resp, "challenge", "start", challenge);
	if (rc == 0)
		detail("challenge:", *challenge);
	json_decref(resp);
	return rc;
}

/* Adds challenge and attestation_encoded_result to a register body: a /start
 * challenge for the registration and the test CA's attestation over it. */
static int attest_body(struct demo *d, json_t *body)
{
	char *challenge = NULL, *att = NULL;
	int rc = CLI_EXIT_FAIL;

	if (step_start(d, &challenge) != 0)
		goto out;
	step_title(d, "attest the key over that challenge (phone: Keystore chain)");
	if ((att = cli_android_attestation(d->key, d->attest_ca, challenge)) == NULL)
		goto out;
	detail("attestation_encoded_result:", "(base64 of {\"format\": \"android-key\", \"x5c\": [...]})");
	if (json_object_set_new(body, "challenge", json_string(challenge)) != 0 ||
	    json_object_set_new(body, "attestation_encoded_result", json_string(att)) != 0) {
		cli_err("out of memory");
		goto out;
	}
	rc = 0;
out:
	free(challenge);
	free(att);
	return rc;
}

static int step_register(struct demo *d)
{
	static const long ok[] = {200};
	json_t *body, *resp = NULL;
	int rc;

	body = cli_register_body(d->key, NULL, "bioauth-device demo");
	if (body == NULL)
		return CLI_EXIT_FAIL;
	if (d->attest_ca != NULL && attest_body(d, body) != 0) {
		json_decref(body);
		return CLI_EXIT_FAIL;
	}
	step_title(d, "register the public key (backend; user token)");
	rc = call(d, "POST", "/v1/auth/mobile-biometrics/register", d->user_token, 0, body, NULL,
	          ok, ARRAY_LEN(ok), &resp, NULL);
	if (rc == 0 && resp != NULL)
		detail_json("response:", resp);
	json_decref(resp);
	return rc;
}

/* Signs the challenge's UTF-8 bytes with the platform's default format. */
static int step_sign(struct demo *d, const char *challenge, char **sig)
{
	bioauth_err r;

	step_title(d, "sign the challenge after the biometric prompt (phone)");
	r = bioauth_key_sign_b64(d->key, (const uint8_t *)challenge, strlen(challenge),
	                         BIOAUTH_SIG_DEFAULT, sig);
	if (r != BIOAUTH_OK) {
		cli_err("sign: %s", bioauth_strerror(r));
		return CLI_EXIT_FAIL;
	}
	detail("signature:", *sig);
	return 0;
}

static json_t *authenticate_body(struct demo *d, const char *challenge, const char *sig)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "user_id", d->user_id,
	                 "key_id", bioauth_key_get_id(d->key), "challenge", challenge,
	                 "signature", sig);
}

static int step_authenticate(struct demo *d, const char *challenge, const char *sig)
{
	static const long ok[] = {200};
	json_t *resp = NULL;
	const char *s;
	char buf[64];
	int rc;

	step_title(d, "authenticate with the signature (backend; client token)");
	rc = call(d, "POST", "/v1/auth/mobile-biometrics/authenticate", d->client_token, 0,
	          authenticate_body(d, challenge, sig), NULL, ok, ARRAY_LEN(ok), &resp, NULL);
	if (rc != 0)
		goto out;
	rc = CLI_EXIT_FAIL;
	if ((s = need_string(resp, "session_id", "authenticate")) == NULL)
		goto out;
	detail("session_id:", s);
	if ((s = need_string(resp, "token_type", "authenticate")) == NULL)
		goto out;
	detail("token_type:", s);
	snprintf(buf, sizeof(buf), "%lld",
	         (long long)json_integer_value(json_object_get(resp, "expires_in")));
	detail("expires_in:", buf);
	if ((s = need_string(resp, "refresh_token", "authenticate")) == NULL)
		goto out;
	snprintf(buf, sizeof(buf), "(opaque, %zu characters)", strlen(s));
	detail("refresh_token:", buf);
	if ((s = need_string(resp, "access_token", "authenticate")) == NULL)
		goto out;
	show_jwt("access_token", s);
	if ((s = need_string(resp, "id_token", "authenticate")) == NULL)
		goto out;
	show_jwt("id_token", s);
	rc = 0;
out:
	json_decref(resp);
	return rc;
}

static int step_delete(struct demo *d)
{
	static const long ok[] = {204};

	step_title(d, "delete the key (backend; user token)");
	return call(d, "DELETE", "/v1/auth/mobile-biometrics/delete", d->user_token, 0,
	            json_pack("{s:s}", "publicKeyId", bioauth_key_get_id(d->key)), NULL, ok,
	            ARRAY_LEN(ok), NULL, NULL);
}

/* After the delete, a fresh challenge signed by the old key must be refused. */
static int step_authenticate_refused(struct demo *d, const char *challenge, const char *sig)
{
	static const long refused[] = {401, 404};
	json_t *resp = NULL;
	const char *code;
	int rc;

	step_title(d, "authenticate again with the deleted key (must be refused)");
	rc = call(d, "POST", "/v1/auth/mobile-biometrics/authenticate", d->client_token, 0,
	          authenticate_body(d, challenge, sig), NULL, refused, ARRAY_LEN(refused), &resp,
	          NULL);
	if (rc == 0) {
		code = json_string_value(json_object_get(resp, "error_code"));
		detail("error_code:", code != NULL ? code : "(none)");
		printf("    refused as expected: the deleted key no longer logs in\n");
	}
	json_decref(resp);
	return rc;
}

/* Parses options, then runs the steps in order, stopping at the first failure. */
int cmd_demo(int argc, char **argv)
{
	struct cli_opt opts[] = {
		{"server", 1, NULL}, {"client-id", 1, NULL}, {"client-secret", 1, NULL},
		{"type", 1, NULL}, {"platform", 1, NULL}, {"store", 1, NULL},
		{"attest-ca", 1, NULL},
	};
	struct demo d;
	bioauth_key_type type = BIOAUTH_KEY_EC;
	bioauth_platform platform = BIOAUTH_PLATFORM_IOS;
	char username[32] = "demo-", password[64];
	char *challenge = NULL, *sig = NULL;
	const char *server, *v;
	size_t slen;
	int help, rc, curl_ready = 0;

	memset(&d, 0, sizeof(d));
	rc = cli_parse(argc, argv, opts, ARRAY_LEN(opts), &help);
	if (rc != 0)
		return rc;
	if (help) {
		fputs(usage_demo, stdout);
		return CLI_EXIT_OK;
	}
	rc = CLI_EXIT_USAGE;
	server = cli_get(opts, ARRAY_LEN(opts), "server");
	d.client_id = cli_get(opts, ARRAY_LEN(opts), "client-id");
	d.client_secret = cli_get(opts, ARRAY_LEN(opts), "client-secret");
	if (d.client_secret == NULL)
		d.client_secret = getenv("BIOAUTH_CLIENT_SECRET");
	if (server == NULL || d.client_id == NULL || d.client_secret == NULL ||
	    d.client_secret[0] == '\0') {
		cli_err("demo needs --server, --client-id and --client-secret (see --help)");
		goto out;
	}
	slen = strlen(server);
	while (slen > 0 && server[slen - 1] == '/')
		slen--;
	if (slen == 0 || slen >= sizeof(d.server) ||
	    (strncmp(server, "http://", 7) != 0 && strncmp(server, "https://", 8) != 0)) {
		cli_err("--server must be an http:// or https:// URL");
		goto out;
	}
	memcpy(d.server, server, slen);
	d.server[slen] = '\0';
	v = cli_get(opts, ARRAY_LEN(opts), "type");
	if (v != NULL && bioauth_key_type_parse(v, &type) != BIOAUTH_OK) {
		cli_err("--type must be ec or rsa");
		goto out;
	}
	v = cli_get(opts, ARRAY_LEN(opts), "platform");
	if (v != NULL && bioauth_platform_parse(v, &platform) != BIOAUTH_OK) {
		cli_err("--platform must be ios or android");
		goto out;
	}
	d.attest_ca = cli_get(opts, ARRAY_LEN(opts), "attest-ca");
	if (d.attest_ca != NULL) {
		if (v != NULL && platform != BIOAUTH_PLATFORM_ANDROID) {
			cli_err("--attest-ca makes an attested Android key (--platform android)");
			goto out;
		}
		platform = BIOAUTH_PLATFORM_ANDROID;
	}

	rc = CLI_EXIT_FAIL;
	if (random_hex(username + 5, 6) != 0 || random_hex(password, 16) != 0) {
		cli_err("random generator failed");
		goto out;
	}
	if (cli_open_store(cli_get(opts, ARRAY_LEN(opts), "store"), &d.ks) != 0)
		goto out;
	if (http_global_init() != 0) {
		cli_err("cannot initialise libcurl");
		goto out;
	}
	curl_ready = 1;
	printf("bioauth-device demo against %s (client %s, %s key as %s)\n", d.server, d.client_id,
	       bioauth_key_type_name(type), bioauth_platform_name(platform));

	if (step_client_token(&d) != 0 ||
	    step_create_user(&d, username, password) != 0 ||
	    step_password_login(&d, username, password) != 0 ||
	    step_keygen(&d, type, platform) != 0 ||
	    step_register(&d) != 0 ||
	    step_start(&d, &challenge) != 0 ||
	    step_sign(&d, challenge, &sig) != 0 ||
	    step_authenticate(&d, challenge, sig) != 0 ||
	    step_delete(&d) != 0)
		goto out;
	free(challenge);
	free(sig);
	challenge = NULL;
	sig = NULL;
	if (step_start(&d, &challenge) != 0 ||
	    step_sign(&d, challenge, &sig) != 0 ||
	    step_authenticate_refused(&d, challenge, sig) != 0)
		goto out;
	printf("\ndemo completed: every step returned the documented status\n");
	rc = 0;
out:
	if (d.key_stored) {
		bioauth_err r = bioauth_keystore_delete(d.ks, bioauth_key_get_id(d.key));

		if (r == BIOAUTH_OK)
			printf("\nlocal key %s removed from the keystore\n", bioauth_key_get_id(d.key));
		else
			cli_err("could not remove local key %s: %s", bioauth_key_get_id(d.key),
			        bioauth_strerror(r));
	}
	fflush(stdout);
	OPENSSL_cleanse(password, sizeof(password));
	free(challenge);
	free(sig);
	if (d.client_token != NULL) {
		OPENSSL_cleanse(d.client_token, strlen(d.client_token));
		free(d.client_token);
	}
	if (d.user_token != NULL) {
		OPENSSL_cleanse(d.user_token, strlen(d.user_token));
		free(d.user_token);
	}
	free(d.user_id);
	bioauth_key_free(d.key);
	bioauth_keystore_free(d.ks);
	if (curl_ready)
		http_global_cleanup();
	return rc;
}
