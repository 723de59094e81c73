/*
 * main.c - bioauth-device, a phone on the command line.
 *
 * Makes and keeps device keys with libbioauth-device and prints, as JSON,
 * exactly what a mobile app would hand to its backend: the register body,
 * the signature of a challenge. `demo` (demo.c) runs the whole flow against
 * a live bioauthd.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char usage_main[] =
	"usage: bioauth-device <command> [options]\n"
	"\n"
	"A software stand-in for a phone's biometric key: makes keys, prints the\n"
	"public key as iOS or Android sends it, signs challenges.\n"
	"\n"
	"commands:\n"
	"  keygen            generate a key pair and store it\n"
	"  attest-ca         make a local test attestation CA (attest-ca init --dir D)\n"
	"  register-payload  print the JSON body for POST /v1/auth/mobile-biometrics/register\n"
	"  sign              sign a challenge, print {key_id, signature}\n"
	"  list              list the stored keys\n"
	"  delete            delete a stored key\n"
	"  demo              run register + login against a live bioauthd\n"
	"\n"
	"Every command takes --store DIR (default $HOME/.bioauth-device; it may also\n"
	"come before the command) and --help.\n"
	"Output is JSON on stdout; errors are one line on stderr; exit status 0 ok,\n"
	"1 failure, 2 usage error.\n";

static const char usage_keygen[] =
	"usage: bioauth-device keygen [--type ec|rsa] [--platform ios|android]\n"
	"                             [--key-id ID] [--passphrase-stdin] [--store DIR]\n"
	"                             [--attest android-key --attest-ca D --challenge C]\n"
	"                             [--attest apple-appattest --attest-ca D --challenge C\n"
	"                              --attest-app-id TEAMID.BUNDLE\n"
	"                              [--attest-environment production|development]]\n"
	"\n"
	"Generates a key pair (default: EC P-256 for ios), stores it and prints\n"
	"{publicKeyId, publicKey, keyType, os}. publicKey is standard base64 of the\n"
	"key as the platform exports it: ios = raw 65-byte EC point or PKCS#1 RSA\n"
	"key, android = DER SubjectPublicKeyInfo. --key-id defaults to 22 random\n"
	"base64url characters. --passphrase-stdin reads one line from standard\n"
	"input and encrypts the private key with it (scrypt + AES-256).\n"
	"--attest also prints challenge C and attestation_encoded_result, issued\n"
	"by the test CA in D (attest-ca init) for the register call's `challenge` C:\n"
	"  android-key (implies --platform android): a Keystore-style chain for the\n"
	"    key whose KeyDescription attests C;\n"
	"  apple-appattest (implies --platform ios): a new App Attest key's\n"
	"    attestation object for app TEAMID.BUNDLE over clientDataHash =\n"
	"    SHA-256(C), in the production (default) or development environment,\n"
	"    and its assertion over the key's DER SubjectPublicKeyInfo.\n";

static const char usage_register[] =
	"usage: bioauth-device register-payload --key-id ID [--device-id ID]\n"
	"                             [--display-name NAME] [--passphrase-stdin] [--store DIR]\n"
	"                             [--attest-ca D --challenge C [--attest-app-id TEAMID.BUNDLE]\n"
	"                              [--attest-environment production|development]]\n"
	"\n"
	"Prints the JSON body for POST /v1/auth/mobile-biometrics/register:\n"
	"{publicKey, publicKeyId, os, encryptionType} (+ device_id, displayName when\n"
	"given), the public key encoded as the key's platform sends it.\n"
	"--attest-ca D --challenge C adds challenge C and attestation_encoded_result,\n"
	"as keygen --attest makes it: for an Android key the test CA's Keystore-style\n"
	"attestation over C, for an iOS key (which needs --attest-app-id) App Attest.\n";

static const char usage_sign[] =
	"usage: bioauth-device sign --key-id ID --challenge C [--format der|raw]\n"
	"                           [--padding pkcs1|pss] [--passphrase-stdin] [--store DIR]\n"
	"\n"
	"Signs the UTF-8 bytes of the challenge (SHA-256) and prints\n"
	"{key_id, signature}, the signature in standard base64. EC keys: --format\n"
	"der (default, iOS and Android) or raw (64-byte r||s). RSA keys: --padding\n"
	"pkcs1 (Android default) or pss (iOS default; MGF1-SHA-256, salt 32).\n";

static const char usage_list[] =
	"usage: bioauth-device list [--store DIR]\n"
	"\n"
	"Prints a JSON array of the stored keys: {publicKeyId, keyType, os,\n"
	"encrypted, created_at}, or {publicKeyId, error} for a file that cannot be\n"
	"read.\n";

static const char usage_delete[] =
	"usage: bioauth-device delete --key-id ID [--store DIR]\n"
	"\n"
	"Deletes the stored key and prints {publicKeyId, deleted: true}. The key is\n"
	"not removed from any server: call DELETE /v1/auth/mobile-biometrics/delete.\n";

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("bioauth-device: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Matches argv against the option table. Values come as "--name VALUE" or
 * "--name=VALUE"; flags take no value. Every mistake is a usage error.
 */
int cli_parse(int argc, char **argv, struct cli_opt *opts, size_t n_opts, int *help)
{
	int i;

	*help = 0;
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq, *name;
		size_t name_len, j;
		struct cli_opt *o = NULL;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			*help = 1;
			continue;
		}
		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			cli_err("unexpected argument '%s' (see --help)", arg);
			return CLI_EXIT_USAGE;
		}
		name = arg + 2;
		eq = strchr(name, '=');
		name_len = eq != NULL ? (size_t)(eq - name) : strlen(name);
		for (j = 0; j < n_opts; j++) {
			if (strlen(opts[j].name) == name_len &&
			    strncmp(opts[j].name, name, name_len) == 0) {
				o = &opts[j];
				break;
			}
		}
		if (o == NULL) {
			cli_err("unknown option '--%.*s' (see --help)", (int)name_len, name);
			return CLI_EXIT_USAGE;
		}
		if (o->value != NULL) {
			cli_err("option '--%s' given twice", o->name);
			return CLI_EXIT_USAGE;
		}
		if (!o->takes_value) {
			if (eq != NULL) {
				cli_err("option '--%s' takes no value", o->name);
				return CLI_EXIT_USAGE;
			}
			o->value = "1";
			continue;
		}
		if (eq != NULL) {
			o->value = eq + 1;
		} else {
			if (i + 1 >= argc) {
				cli_err("option '--%s' needs a value", o->name);
				return CLI_EXIT_USAGE;
			}
			o->value = argv[++i];
		}
		if (o->value[0] == '\0') {
			cli_err("option '--%s' needs a non-empty value", o->name);
			return CLI_EXIT_USAGE;
		}
	}
	return 0;
}

const char *cli_get(const struct cli_opt *opts, size_t n_opts, const char *name)
{
	size_t i;

	for (i = 0; i < n_opts; i++)
		if (strcmp(opts[i].name, name) == 0)
			return opts[i].value;
	return NULL;
}

int cli_open_store(const char *dir, bioauth_keystore **ks)
{
	char *def = NULL;
	bioauth_err r;

	if (dir == NULL) {
		r = bioauth_keystore_default_dir(&def);
		if (r != BIOAUTH_OK) {
			cli_err("cannot find the default keystore ($HOME): %s; use --store DIR",
			        bioauth_strerror(r));
			return CLI_EXIT_FAIL;
		}
		dir = def;
	}
	r = bioauth_keystore_new(dir, ks);
	if (r != BIOAUTH_OK)
		cli_err("keystore %s: %s", dir, bioauth_strerror(r));
	bioauth_buffer_free(def);
	return r == BIOAUTH_OK ? 0 : CLI_EXIT_FAIL;
}

/*
 * Reads bytes until '\n' or end of input; a trailing '\r' is dropped. Reads
 * one byte at a time so nothing past the line is consumed or buffered.
 */
int cli_read_passphrase(char *buf, size_t *len)
{
	size_t n = 0;
	char c;

	*len = 0;
	for (;;) {
		ssize_t got = read(STDIN_FILENO, &c, 1);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			cli_err("cannot read the passphrase from standard input");
			goto fail;
		}
		if (got == 0 || c == '\n')
			break;
		if (n >= BIOAUTH_PASSPHRASE_MAX) {
			cli_err("passphrase longer than %d bytes", BIOAUTH_PASSPHRASE_MAX);
			goto fail;
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n == 0) {
		cli_err("empty passphrase on standard input");
		goto fail;
	}
	buf[n] = '\0';
	*len = n;
	return 0;
fail:
	OPENSSL_cleanse(buf, BIOAUTH_PASSPHRASE_MAX + 1);
	return CLI_EXIT_FAIL;
}

int cli_print_json(json_t *j)
{
	int r = CLI_EXIT_FAIL;

	if (j == NULL) {
		cli_err("out of memory");
		return CLI_EXIT_FAIL;
	}
	if (json_dumpf(j, stdout, JSON_INDENT(2)) == 0 && fputc('\n', stdout) != EOF &&
	    fflush(stdout) == 0)
		r = 0;
	else
		cli_err("cannot write to standard output");
	json_decref(j);
	return r;
}

int cli_load_key(bioauth_keystore *ks, const char *key_id, int passphrase_stdin,
                 bioauth_key **key)
{
	char pass[BIOAUTH_PASSPHRASE_MAX + 1];
	size_t pass_len = 0;
	bioauth_err r;

	if (!bioauth_key_id_valid(key_id)) {
		cli_err("invalid key id '%s' (1-%d characters of A-Z a-z 0-9 _ . -, not starting with '.')",
		        key_id, BIOAUTH_KEY_ID_MAX);
		return CLI_EXIT_FAIL;
	}
	if (passphrase_stdin && cli_read_passphrase(pass, &pass_len) != 0)
		return CLI_EXIT_FAIL;
	r = bioauth_keystore_load(ks, key_id, passphrase_stdin ? pass : NULL, pass_len, key);
	OPENSSL_cleanse(pass, sizeof(pass));
	if (r == BIOAUTH_ERR_PASSPHRASE_REQUIRED) {
		cli_err("key %s: %s (use --passphrase-stdin)", key_id, bioauth_strerror(r));
		return CLI_EXIT_FAIL;
	}
	if (r != BIOAUTH_OK) {
		cli_err("key %s: %s", key_id, bioauth_strerror(r));
		return CLI_EXIT_FAIL;
	}
	return 0;
}

json_t *cli_register_body(const bioauth_key *key, const char *device_id,
                          const char *display_name)
{
	char *pub = NULL;
	json_t *j = NULL;
	bioauth_err r;

	r = bioauth_key_export_public_b64(key, BIOAUTH_PUBKEY_DEFAULT, &pub);
	if (r != BIOAUTH_OK) {
		cli_err("cannot export the public key: %s", bioauth_strerror(r));
		return NULL;
	}
	j = json_pack("{s:s, s:s, s:s, s:s}", "publicKey", pub,
	              "publicKeyId", bioauth_key_get_id(key),
	              "os", bioauth_platform_name(bioauth_key_get_platform(key)),
	              "encryptionType", bioauth_key_type_name(bioauth_key_get_type(key)));
	bioauth_buffer_free(pub);
	if (j == NULL)
		goto nomem;
	if (device_id != NULL && json_object_set_new(j, "device_id", json_string(device_id)) != 0)
		goto nomem;
	if (display_name != NULL &&
	    json_object_set_new(j, "displayName", json_string(display_name)) != 0)
		goto nomem;
	return j;
nomem:
	cli_err("cannot build JSON (out of memory or invalid UTF-8)");
	json_decref(j);
	return NULL;
}

/* The attestation options of keygen and register-payload. */
struct attest_args {
	const char *ca, *challenge, *app_id;
	bool development;
};

/*
 * Reads the attestation options for a key of `platform` into *a: --attest-ca
 * and --challenge go together; App Attest (ios) needs --attest-app-id and
 * takes --attest-environment, Android takes neither. 0, or CLI_EXIT_USAGE
 * after printing the mistake.
 */
static int attest_args_get(const struct cli_opt *opts, size_t n, bioauth_platform platform,
                           struct attest_args *a)
{
	const char *env = cli_get(opts, n, "attest-environment");

	a->ca = cli_get(opts, n, "attest-ca");
	a->challenge = cli_get(opts, n, "challenge");
	a->app_id = cli_get(opts, n, "attest-app-id");
	a->development = env != NULL && strcmp(env, "development") == 0;
	if (a->ca == NULL || a->challenge == NULL) {
		cli_err("attestation needs --attest-ca D and --challenge C (see --help)");
		return CLI_EXIT_USAGE;
	}
	if (platform == BIOAUTH_PLATFORM_ANDROID) {
		if (a->app_id != NULL || env != NULL) {
			cli_err("--attest-app-id and --attest-environment are for App Attest (ios keys)");
			return CLI_EXIT_USAGE;
		}
		return 0;
	}
	if (a->app_id == NULL || a->app_id[0] == '\0') {
		cli_err("App Attest needs --attest-app-id TEAMID.BUNDLE");
		return CLI_EXIT_USAGE;
	}
	if (env != NULL && !a->development && strcmp(env, "production") != 0) {
		cli_err("--attest-environment must be production or development");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* The attestation_encoded_result of `key` as its platform's phone makes it
 * (attest.c); malloc'd, NULL after printing the error. */
static char *attest_make(const bioauth_key *key, const struct attest_args *a)
{
	if (bioauth_key_get_platform(key) == BIOAUTH_PLATFORM_ANDROID)
		return cli_android_attestation(key, a->ca, a->challenge);
	return cli_appattest_attestation(key, a->ca, a->challenge, a->app_id, a->development);
}

/* Generates and stores a key; prints {publicKeyId, publicKey, keyType, os}. */
static int cmd_keygen(int argc, char **argv)
{
	struct cli_opt opts[] = {
		{"type", 1, NULL}, {"platform", 1, NULL}, {"key-id", 1, NULL},
		{"passphrase-stdin", 0, NULL}, {"store", 1, NULL},
		{"attest", 1, NULL}, {"attest-ca", 1, NULL}, {"challenge", 1, NULL},
		{"attest-app-id", 1, NULL}, {"attest-environment", 1, NULL},
	};
	struct attest_args aa = {0};
	const char *attest;
	char *attestation = NULL;
	char pass[BIOAUTH_PASSPHRASE_MAX + 1];
	size_t pass_len = 0;
	bioauth_key_type type = BIOAUTH_KEY_EC;
	bioauth_platform platform = BIOAUTH_PLATFORM_IOS;
	bioauth_keystore *ks = NULL;
	bioauth_key *key = NULL;
	const char *v, *key_id;
	char *pub = NULL;
	int help, rc;
	bioauth_err r;

	rc = cli_parse(argc, argv, opts, ARRAY_LEN(opts), &help);
	if (rc != 0)
		return rc;
	if (help) {
		fputs(usage_keygen, stdout);
		return CLI_EXIT_OK;
	}
	rc = CLI_EXIT_USAGE;
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
	key_id = cli_get(opts, ARRAY_LEN(opts), "key-id");
	if (key_id != NULL && !bioauth_key_id_valid(key_id)) {
		cli_err("invalid --key-id (1-%d characters of A-Z a-z 0-9 _ . -, not starting with '.')",
		        BIOAUTH_KEY_ID_MAX);
		goto out;
	}
	attest = cli_get(opts, ARRAY_LEN(opts), "attest");
	if (attest != NULL || cli_get(opts, ARRAY_LEN(opts), "attest-ca") != NULL ||
	    cli_get(opts, ARRAY_LEN(opts), "challenge") != NULL ||
	    cli_get(opts, ARRAY_LEN(opts), "attest-app-id") != NULL ||
	    cli_get(opts, ARRAY_LEN(opts), "attest-environment") != NULL) {
		bioauth_platform want;
		if (attest != NULL && strcmp(attest, "android-key") == 0) {
			want = BIOAUTH_PLATFORM_ANDROID;
		} else if (attest != NULL && strcmp(attest, "apple-appattest") == 0) {
			want = BIOAUTH_PLATFORM_IOS;
		} else {
			cli_err("--attest must be android-key or apple-appattest");
			goto out;
		}
		if (cli_get(opts, ARRAY_LEN(opts), "platform") != NULL && platform != want) {
			cli_err("--attest %s makes an %s key (--platform %s)", attest,
			        want == BIOAUTH_PLATFORM_ANDROID ? "Android" : "iOS",
			        bioauth_platform_name(want));
			goto out;
		}
		platform = want;
		if (attest_args_get(opts, ARRAY_LEN(opts), platform, &aa) != 0)
			goto out;
	}
	rc = CLI_EXIT_FAIL;
	if (cli_get(opts, ARRAY_LEN(opts), "passphrase-stdin") != NULL &&
	    cli_read_passphrase(pass, &pass_len) != 0)
		goto out;
	if (cli_open_store(cli_get(opts, ARRAY_LEN(opts), "store"), &ks) != 0)
		goto out;
	r = bioauth_key_generate(type, platform, key_id, &key);
	if (r != BIOAUTH_OK) {
		cli_err("key generation failed: %s", bioauth_strerror(r));
		goto out;
	}
	if (attest != NULL && (attestation = attest_make(key, &aa)) == NULL)
		goto out;
	r = bioauth_keystore_save(ks, key, pass_len > 0 ? pass : NULL, pass_len);
	if (r != BIOAUTH_OK) {
		cli_err("cannot store key %s: %s", bioauth_key_get_id(key), bioauth_strerror(r));
		goto out;
	}
	r = bioauth_key_export_public_b64(key, BIOAUTH_PUBKEY_DEFAULT, &pub);
	if (r != BIOAUTH_OK) {
		cli_err("cannot export the public key: %s", bioauth_strerror(r));
		goto out;
	}
	rc = cli_print_json(json_pack("{s:s, s:s, s:s, s:s, s:s*, s:s*}",
	                              "publicKeyId", bioauth_key_get_id(key),
	                              "publicKey", pub,
	                              "keyType", bioauth_key_type_name(type),
	                              "os", bioauth_platform_name(platform),
	                              "challenge", attestation != NULL ? aa.challenge : NULL,
	                              "attestation_encoded_result", attestation));
out:
	free(attestation);
	OPENSSL_cleanse(pass, sizeof(pass));
	bioauth_buffer_free(pub);
	bioauth_key_free(key);
	bioauth_keystore_free(ks);
	return rc;
}

static int cmd_register_payload(int argc, char **argv)
{
	struct cli_opt opts[] = {
		{"key-id", 1, NULL}, {"device-id", 1, NULL}, {"display-name", 1, NULL},
		{"passphrase-stdin", 0, NULL}, {"store", 1, NULL},
		{"attest-ca", 1, NULL}, {"challenge", 1, NULL},
		{"attest-app-id", 1, NULL}, {"attest-environment", 1, NULL},
	};
	bioauth_keystore *ks = NULL;
	bioauth_key *key = NULL;
	struct attest_args aa = {0};
	const char *key_id;
	bool attest;
	char *attestation = NULL;
	json_t *body = NULL;
	int help, rc;

	rc = cli_parse(argc, argv, opts, ARRAY_LEN(opts), &help);
	if (rc != 0)
		return rc;
	if (help) {
		fputs(usage_register, stdout);
		return CLI_EXIT_OK;
	}
	key_id = cli_get(opts, ARRAY_LEN(opts), "key-id");
	if (key_id == NULL) {
		cli_err("register-payload needs --key-id (see --help)");
		return CLI_EXIT_USAGE;
	}
	attest = cli_get(opts, ARRAY_LEN(opts), "attest-ca") != NULL ||
	         cli_get(opts, ARRAY_LEN(opts), "challenge") != NULL ||
	         cli_get(opts, ARRAY_LEN(opts), "attest-app-id") != NULL ||
	         cli_get(opts, ARRAY_LEN(opts), "attest-environment") != NULL;
	if (attest && (cli_get(opts, ARRAY_LEN(opts), "attest-ca") == NULL ||
	               cli_get(opts, ARRAY_LEN(opts), "challenge") == NULL)) {
		cli_err("--attest-ca and --challenge go together (see --help)");
		return CLI_EXIT_USAGE;
	}
	rc = CLI_EXIT_FAIL;
	if (cli_open_store(cli_get(opts, ARRAY_LEN(opts), "store"), &ks) != 0)
		goto out;
	if (cli_load_key(ks, key_id, cli_get(opts, ARRAY_LEN(opts), "passphrase-stdin") != NULL,
	                 &key) != 0)
		goto out;
	if (attest) {
		if ((rc = attest_args_get(opts, ARRAY_LEN(opts), bioauth_key_get_platform(key),
		                          &aa)) != 0)
			goto out;
		rc = CLI_EXIT_FAIL;
		if ((attestation = attest_make(key, &aa)) == NULL)
			goto out;
	}
	body = cli_register_body(key, cli_get(opts, ARRAY_LEN(opts), "device-id"),
	                         cli_get(opts, ARRAY_LEN(opts), "display-name"));
	if (body == NULL)
		goto out;
	if (attestation != NULL &&
	    (json_object_set_new(body, "challenge", json_string(aa.challenge)) != 0 ||
	     json_object_set_new(body, "attestation_encoded_result",
	                         json_string(attestation)) != 0)) {
		cli_err("cannot build JSON (out of memory or invalid UTF-8)");
		goto out;
	}
	rc = cli_print_json(body);
	body = NULL;   /* cli_print_json took it */
out:
	json_decref(body);
	free(attestation);
	bioauth_key_free(key);
	bioauth_keystore_free(ks);
	return rc;
}

/* Maps --format/--padding onto a signature format for the key's type. */
static int pick_sig_format(const bioauth_key *key, const char *format, const char *padding,
                           bioauth_sig_format *out)
{
	*out = BIOAUTH_SIG_DEFAULT;
	if (bioauth_key_get_type(key) == BIOAUTH_KEY_EC) {
		if (padding != NULL) {
			cli_err("--padding applies to RSA keys; this is an EC key");
			return CLI_EXIT_USAGE;
		}
		if (format == NULL)
			return 0;
		if (strcmp(format, "der") == 0)
			*out = BIOAUTH_SIG_EC_DER;
		else if (strcmp(format, "raw") == 0)
			*out = BIOAUTH_SIG_EC_RAW;
		else {
			cli_err("--format must be der or raw");
			return CLI_EXIT_USAGE;
		}
		return 0;
	}
	if (format != NULL) {
		cli_err("--format applies to EC keys; this is an RSA key (use --padding)");
		return CLI_EXIT_USAGE;
	}
	if (padding == NULL)
		return 0;
	if (strcmp(padding, "pkcs1") == 0)
		*out = BIOAUTH_SIG_RSA_PKCS1;
	else if (strcmp(padding, "pss") == 0)
		*out = BIOAUTH_SIG_RSA_PSS;
	else {
		cli_err("--padding must be pkcs1 or pss");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int cmd_sign(int argc, char **argv)
{
	struct cli_opt opts[] = {
		{"key-id", 1, NULL}, {"challenge", 1, NULL}, {"format", 1, NULL},
		{"padding", 1, NULL}, {"passphrase-stdin", 0, NULL}, {"store", 1, NULL},
	};
	bioauth_keystore *ks = NULL;
	bioauth_key *key = NULL;
	bioauth_sig_format fmt;
	const char *key_id, *challenge;
	char *sig = NULL;
	int help, rc;
	bioauth_err r;

	rc = cli_parse(argc, argv, opts, ARRAY_LEN(opts), &help);
	if (rc != 0)
		return rc;
	if (help) {
		fputs(usage_sign, stdout);
		return CLI_EXIT_OK;
	}
	key_id = cli_get(opts, ARRAY_LEN(opts), "key-id");
	challenge = cli_get(opts, ARRAY_LEN(opts), "challenge");
	if (key_id == NULL || challenge == NULL) {
		cli_err("sign needs --key-id and --challenge (see --help)");
		return CLI_EXIT_USAGE;
	}
	rc = CLI_EXIT_FAIL;
	if (cli_open_store(cli_get(opts, ARRAY_LEN(opts), "store"), &ks) != 0)
		goto out;
	if (cli_load_key(ks, key_id, cli_get(opts, ARRAY_LEN(opts), "passphrase-stdin") != NULL,
	                 &key) != 0)
		goto out;
	rc = pick_sig_format(key, cli_get(opts, ARRAY_LEN(opts), "format"),
	                     cli_get(opts, ARRAY_LEN(opts), "padding"), &fmt);
	if (rc != 0)
		goto out;
	rc = CLI_EXIT_FAIL;
	r = bioauth_key_sign_b64(key, (const uint8_t *)challenge, strlen(challenge), fmt, &sig);
	if (r != BIOAUTH_OK) {
		cli_err("signing failed: %s", bioauth_strerror(r));
		goto out;
	}
	rc = cli_print_json(json_pack("{s:s, s:s}", "key_id", key_id, "signature", sig));
out:
	bioauth_buffer_free(sig);
	bioauth_key_free(key);
	bioauth_keystore_free(ks);
	return rc;
}

static int cmd_list(int argc, char **argv)
{
	struct cli_opt opts[] = { {"store", 1, NULL} };
	bioauth_keystore *ks = NULL;
	bioauth_key_info *list = NULL;
	size_t n = 0, i;
	json_t *arr = NULL;
	int help, rc;
	bioauth_err r;

	rc = cli_parse(argc, argv, opts, ARRAY_LEN(opts), &help);
	if (rc != 0)
		return rc;
	if (help) {
		fputs(usage_list, stdout);
		return CLI_EXIT_OK;
	}
	rc = CLI_EXIT_FAIL;
	if (cli_open_store(cli_get(opts, ARRAY_LEN(opts), "store"), &ks) != 0)
		goto out;
	r = bioauth_keystore_list(ks, &list, &n);
	if (r != BIOAUTH_OK) {
		cli_err("cannot list keystore %s: %s", bioauth_keystore_get_dir(ks),
		        bioauth_strerror(r));
		goto out;
	}
	arr = json_array();
	if (arr == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		json_t *e;

		if (list[i].status == BIOAUTH_OK)
			e = json_pack("{s:s, s:s, s:s, s:b, s:I}", "publicKeyId", list[i].key_id,
			              "keyType", bioauth_key_type_name(list[i].type),
			              "os", bioauth_platform_name(list[i].platform),
			              "encrypted", list[i].encrypted,
			              "created_at", (json_int_t)list[i].created_at);
		else
			e = json_pack("{s:s, s:s}", "publicKeyId", list[i].key_id,
			              "error", bioauth_strerror(list[i].status));
		if (e == NULL || json_array_append_new(arr, e) != 0)
			goto nomem;
	}
	rc = cli_print_json(arr);
	arr = NULL;
	goto out;
nomem:
	cli_err("out of memory");
out:
	json_decref(arr);
	bioauth_buffer_free(list);
	bioauth_keystore_free(ks);
	return rc;
}

static int cmd_delete(int argc, char **argv)
{
	struct cli_opt opts[] = { {"key-id", 1, NULL}, {"store", 1, NULL} };
	bioauth_keystore *ks = NULL;
	const char *key_id;
	int help, rc;
	bioauth_err r;

	rc = cli_parse(argc, argv, opts, ARRAY_LEN(opts), &help);
	if (rc != 0)
		return rc;
	if (help) {
		fputs(usage_delete, stdout);
		return CLI_EXIT_OK;
	}
	key_id = cli_get(opts, ARRAY_LEN(opts), "key-id");
	if (key_id == NULL) {
		cli_err("delete needs --key-id (see --help)");
		return CLI_EXIT_USAGE;
	}
	if (!bioauth_key_id_valid(key_id)) {
		cli_err("invalid --key-id '%s'", key_id);
		return CLI_EXIT_FAIL;
	}
	rc = CLI_EXIT_FAIL;
	if (cli_open_store(cli_get(opts, ARRAY_LEN(opts), "store"), &ks) != 0)
		goto out;
	r = bioauth_keystore_delete(ks, key_id);
	if (r != BIOAUTH_OK) {
		cli_err("cannot delete key %s: %s", key_id, bioauth_strerror(r));
		goto out;
	}
	rc = cli_print_json(json_pack("{s:s, s:b}", "publicKeyId", key_id, "deleted", 1));
out:
	bioauth_keystore_free(ks);
	return rc;
}

struct command {
	const char *name;
	int (*fn)(int, char **);
};

static const struct command *cmds_of(void)
{
	static const struct command cmds[] = {
		{"keygen", cmd_keygen},
		{"attest-ca", cmd_attest_ca},
		{"register-payload", cmd_register_payload},
		{"sign", cmd_sign},
		{"list", cmd_list},
		{"delete", cmd_delete},
		{"demo", cmd_demo},
		{NULL, NULL},
	};

	return cmds;
}

/*
 * Runs the command argv[1] with its arguments argv[2..], followed by the
 * `n_extra` global arguments in `extra` (the leading --store option).
 */
static int dispatch(int argc, char **argv, char **extra, int n_extra,
                    const struct command *cmds)
{
	char *args[256];
	int n = 0, i;

	if (argc - 2 + n_extra > (int)ARRAY_LEN(args)) {
		cli_err("too many arguments");
		return CLI_EXIT_USAGE;
	}
	for (i = 2; i < argc; i++)
		args[n++] = argv[i];
	for (i = 0; i < n_extra; i++)
		args[n++] = extra[i];
	for (; cmds->name != NULL; cmds++)
		if (strcmp(argv[1], cmds->name) == 0)
			return cmds->fn(n, args);
	cli_err("unknown command '%s' (see --help)", argv[1]);
	return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		cli_err("missing command (see --help)");
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_main, stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("bioauth-device %s\n", BIOAUTH_DEVICE_VERSION);
		return CLI_EXIT_OK;
	}
	/* "--store DIR" (or "--store=DIR") may also come before the command:
	 * it is moved behind the command's own arguments. */
	if (strcmp(argv[1], "--store") == 0 || strncmp(argv[1], "--store=", 8) == 0) {
		int n = strcmp(argv[1], "--store") == 0 ? 2 : 1;

		if (argc < 1 + n + 1) {
			cli_err("missing command after %s (see --help)", argv[1]);
			return CLI_EXIT_USAGE;
		}
		return dispatch(argc - n, argv + n, argv + 1, n, cmds_of());
	}
	return dispatch(argc, argv, NULL, 0, cmds_of());
}
