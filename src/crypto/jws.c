/*
 * jws.c - JWS compact serialization (RFC 7515 section 7.1): signing and
 * verification with ES256, RS256 and EdDSA.
 *
 * Verification decides the algorithm from the key, never from the token:
 * the header's "alg" must name the key's algorithm, so "none", HS256 with
 * an RSA public key as secret, or an RS256 token against an ES256 key are
 * all refused. "crit" is refused outright (we understand no extension), as
 * are duplicate header members, non-object headers and any segment that is
 * not strict unpadded base64url. ES256 signatures are the 64-byte r||s of
 * RFC 7518 section 3.4, converted to and from OpenSSL's DER.
 */
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif
#include "crypto/jws.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/error.h"
#include "common/jsonw.h"
#include "crypto/ecsig.h"
#include "crypto/encoding.h"
#include "crypto/keytype.h"
#include "crypto/pubkey.h"
#include "crypto/sigctx.h"

#define ES256_SIG_LEN 64
#define ED25519_SIG_LEN 64
/* Header made by jws_sign: alg, typ (capped) and kid, JSON-escaped. */
#define JWS_HEADER_MAX 1024
#define JWS_TYP_MAX 64

/* The largest signature sign_input makes: DER ECDSA for P-256 (72
 * bytes), an RSA modulus up to 4096 bits, 64 for Ed25519. */
#define JWS_SIG_MAX 512

/*
 * The signature over `input` in JWS form into sig (JWS_SIG_MAX bytes),
 * its length in *sig_len. The context is a copy of the one prepared for
 * the key (sigctx.h), or made here when the key has none. BA_OK,
 * BA_ERR_NOMEM or BA_ERR_INTERNAL (including a public-only key, or one
 * whose signatures are longer than JWS_SIG_MAX).
 */
static int
sign_input(const struct jws_key *k, const uint8_t *input, size_t len,
           uint8_t sig[JWS_SIG_MAX], size_t *sig_len)
{
	EVP_MD_CTX *m = NULL;
	uint8_t der[JWS_SIG_MAX];
	int max = EVP_PKEY_get_size(k->pkey);
	size_t n = sizeof(der);
	int r;

	*sig_len = 0;
	if (max <= 0 || (size_t)max > sizeof(der))
		return BA_ERR_INTERNAL;
	if ((r = sigctx_get(k->ctx, k->pkey, SIGCTX_SIGN, &m)) != BA_OK)
		goto out;
	r = BA_ERR_INTERNAL;
	if (k->alg != JWS_ES256) {
		if (EVP_DigestSign(m, sig, &n, input, len) != 1 || n == 0)
			goto out;
	} else {
		/* DER from OpenSSL to the fixed-width r||s of JWS. */
		if (EVP_DigestSign(m, der, &n, input, len) != 1 || n == 0 ||
		    ecsig_der_to_raw(der, n, ES256_SIG_LEN / 2, sig) != BA_OK)
			goto out;
		ecsig_p256_normalize_s(sig);
		n = ES256_SIG_LEN;
	}
	*sig_len = n;
	r = BA_OK;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(m);
	return r;
}

/*
 * Verifies a JWS-form signature with k's algorithm. ES256 and RS256 go
 * through the device-signature verifier (one scheme: raw r||s, PKCS#1
 * v1.5) with the key's prepared contexts, EdDSA through EVP directly.
 */
int
jws_signature_verify(const struct jws_key *k, const uint8_t *input, size_t input_len,
                     const uint8_t *sig, size_t sig_len)
{
	struct pubkey pk = { 0 };
	EVP_MD_CTX *m = NULL;
	int r = BA_ERR_INVALID_TOKEN;

	if (k == NULL || k->pkey == NULL || sig == NULL || (input == NULL && input_len != 0))
		return BA_ERR_INVALID_TOKEN;
	pk.pkey = k->pkey;
	pk.ctx = k->ctx;    /* borrowed: pk is never cleared */
	switch (k->alg) {
	case JWS_ES256:
		/* Only the low-S form is ours (ecsig.h). */
		if (sig_len != ES256_SIG_LEN || ecsig_p256_is_high_s(sig))
			return BA_ERR_INVALID_TOKEN;
		pk.key_type = KEY_TYPE_EC;
		r = sig_verify_scheme(&pk, SIG_SCHEME_ECDSA_RAW, input, input_len, sig, sig_len);
		break;
	case JWS_RS256:
		pk.key_type = KEY_TYPE_RSA;
		r = sig_verify_scheme(&pk, SIG_SCHEME_RSA_PKCS1, input, input_len, sig, sig_len);
		break;
	case JWS_EDDSA:
		if (sig_len != ED25519_SIG_LEN)
			return BA_ERR_INVALID_TOKEN;
		r = sigctx_get(k->ctx, k->pkey, SIGCTX_VERIFY, &m);
		if (r != BA_OK)
			return r == BA_ERR_NOMEM ? r : BA_ERR_INVALID_TOKEN;
		r = EVP_DigestVerify(m, sig, sig_len, input, input_len) == 1 ?
		    BA_OK : BA_ERR_INVALID_TOKEN;
		ERR_clear_error();
		EVP_MD_CTX_free(m);
		return r;
	default:
		return BA_ERR_INVALID_TOKEN;
	}
	if (r == BA_ERR_NOMEM)
		return r;
	return r == BA_OK ? BA_OK : BA_ERR_INVALID_TOKEN;
}

/*
 * The compact JWS of a header this file made or checked (its "alg" is the
 * key's) and a payload, both under JWS_MAX_COMPACT_LEN: the three segments
 * are encoded straight into the one malloc'd result. *compact on BA_OK.
 */
static int
sign_compact(const struct jws_key *k, const char *header_json, size_t header_len,
             const char *payload, size_t payload_len, char **compact)
{
	uint8_t sig[JWS_SIG_MAX];
	char *out = NULL;
	size_t hl, pl, sl;
	int r;

	/* Sizes are below 2 * 4/3 * 16 KiB + 683, so the sums cannot overflow. */
	hl = b64url_encoded_len(header_len);
	pl = b64url_encoded_len(payload_len);
	out = malloc(hl + 1 + pl + 1 + b64url_encoded_len(JWS_SIG_MAX) + 1);
	if (out == NULL)
		return BA_ERR_NOMEM;
	/* the signing input "h64.p64" is built in place */
	b64url_encode_into((const uint8_t *)header_json, header_len, out);
	out[hl] = '.';
	b64url_encode_into((const uint8_t *)payload, payload_len, out + hl + 1);
	r = sign_input(k, (const uint8_t *)out, hl + 1 + pl, sig, &sl);
	if (r != BA_OK)
		goto out;
	/* An RSA signature computed wrongly (a fault, or OpenSSL's blinding
	 * state after an allocation failure - seen while fuzzing) can leak the
	 * private key and would be a token nobody can verify: check it. */
	if (k->alg == JWS_RS256 &&
	    jws_signature_verify(k, (const uint8_t *)out, hl + 1 + pl, sig, sl) != BA_OK) {
		r = BA_ERR_INTERNAL;
		goto out;
	}
	if (hl + 1 + pl + 1 + b64url_encoded_len(sl) > JWS_MAX_COMPACT_LEN) {
		r = BA_ERR_INVALID_REQUEST;
		goto out;
	}
	out[hl + 1 + pl] = '.';
	b64url_encode_into(sig, sl, out + hl + 1 + pl + 1);
	*compact = out;
	out = NULL;
	r = BA_OK;
out:
	free(out);
	return r;
}

/*
 * Signs a caller-made protected header. The header must be a JSON object
 * whose "alg" is the key's algorithm (so that we never emit a token we
 * would refuse); it is used byte for byte as given.
 */
int
jws_sign_raw(const struct jws_key *k, const char *header_json, size_t header_len,
             const char *payload, size_t payload_len, char **compact)
{
	json_t *hdr = NULL;
	int r = BA_ERR_INVALID_REQUEST;

	if (compact == NULL)
		return BA_ERR_INVALID_REQUEST;
	*compact = NULL;
	if (k == NULL || k->pkey == NULL || jws_alg_name(k->alg) == NULL ||
	    header_json == NULL || (payload == NULL && payload_len != 0) ||
	    header_len > JWS_MAX_COMPACT_LEN || payload_len > JWS_MAX_COMPACT_LEN)
		return BA_ERR_INVALID_REQUEST;
	hdr = json_loadb(header_json, header_len, JSON_REJECT_DUPLICATES, NULL);
	if (hdr == NULL || !json_is_object(hdr) ||
	    !json_is_string(json_object_get(hdr, "alg")) ||
	    strcmp(json_string_value(json_object_get(hdr, "alg")), jws_alg_name(k->alg)) != 0)
		goto out;
	r = sign_compact(k, header_json, header_len, payload, payload_len, compact);
out:
	json_decref(hdr);
	return r;
}

/* Header {"alg":..,"typ":..,"kid":..} (typ, kid omitted when NULL),
 * written without a JSON tree (common/jsonw.h): this signs every token. */
int
jws_sign(const struct jws_key *k, const char *typ, const char *payload,
         size_t payload_len, char **compact)
{
	char buf[JWS_HEADER_MAX];
	struct jsonw w;
	size_t n;

	if (compact == NULL)
		return BA_ERR_INVALID_REQUEST;
	*compact = NULL;
	if (k == NULL || k->pkey == NULL || jws_alg_name(k->alg) == NULL ||
	    (typ != NULL && strlen(typ) > JWS_TYP_MAX) ||
	    (payload == NULL && payload_len != 0) || payload_len > JWS_MAX_COMPACT_LEN)
		return BA_ERR_INVALID_REQUEST;
	jsonw_begin(&w, buf, sizeof(buf));
	jsonw_str(&w, "alg", jws_alg_name(k->alg));
	if (typ != NULL)
		jsonw_str(&w, "typ", typ);
	if (k->kid != NULL)
		jsonw_str(&w, "kid", k->kid);
	if ((n = jsonw_end(&w)) == 0)
		return BA_ERR_INVALID_REQUEST;
	return sign_compact(k, buf, n, payload, payload_len, compact);
}

/*
 * The common verifier: the key is `fixed` when given, else looked up by
 * the header's "kid" (then required). Outputs are set only on BA_OK.
 */
static int
verify_compact(const char *compact, size_t len, jws_key_lookup_fn lookup, void *arg,
               const struct jws_key *fixed, char **payload, size_t *payload_len,
               char **typ)
{
	const char *d1, *d2;
	uint8_t *hbytes = NULL, *pbytes = NULL, *sig = NULL;
	size_t hn, pn, sn;
	json_t *hdr = NULL;
	const json_t *alg, *kid, *jtyp;
	const struct jws_key *k = fixed;
	char *typ_copy = NULL, *p;
	int r = BA_ERR_INVALID_TOKEN;

	if (compact == NULL || len == 0 || len > JWS_MAX_COMPACT_LEN)
		return BA_ERR_INVALID_TOKEN;
	/* Exactly two dots; an empty header or signature is malformed. */
	d1 = memchr(compact, '.', len);
	if (d1 == NULL)
		return BA_ERR_INVALID_TOKEN;
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - compact));
	if (d2 == NULL || d1 == compact || d2 + 1 == compact + len ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - compact)) != NULL)
		return BA_ERR_INVALID_TOKEN;

	if ((r = b64url_decode(compact, (size_t)(d1 - compact), &hbytes, &hn)) != BA_OK)
		goto out;
	hdr = json_loadb((const char *)hbytes, hn, JSON_REJECT_DUPLICATES, NULL);
	r = BA_ERR_INVALID_TOKEN;
	if (hdr == NULL || !json_is_object(hdr) || json_object_get(hdr, "crit") != NULL)
		goto out;
	alg = json_object_get(hdr, "alg");
	kid = json_object_get(hdr, "kid");
	jtyp = json_object_get(hdr, "typ");
	if (!json_is_string(alg) || (kid != NULL && !json_is_string(kid)) ||
	    (jtyp != NULL && !json_is_string(jtyp)))
		goto out;
	if (k == NULL) {
		if (kid == NULL || lookup == NULL ||
		    json_string_length(kid) > JWS_MAX_KID_LEN ||
		    (k = lookup(json_string_value(kid), arg)) == NULL)
			goto out;
	}
	if (jws_alg_name(k->alg) == NULL || strcmp(json_string_value(alg), jws_alg_name(k->alg)) != 0)
		goto out;

	if ((r = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &pbytes, &pn)) != BA_OK ||
	    (r = b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - compact), &sig, &sn)) != BA_OK)
		goto out;
	r = jws_signature_verify(k, (const uint8_t *)compact, (size_t)(d2 - compact), sig, sn);
	if (r != BA_OK)
		goto out;

	r = BA_ERR_NOMEM;
	if (typ != NULL && jtyp != NULL && (typ_copy = strdup(json_string_value(jtyp))) == NULL)
		goto out;
	p = realloc(pbytes, pn + 1);
	if (p == NULL)
		goto out;
	pbytes = NULL;
	p[pn] = '\0';
	*payload = p;
	if (payload_len != NULL)
		*payload_len = pn;
	if (typ != NULL)
		*typ = typ_copy;
	typ_copy = NULL;
	r = BA_OK;
out:
	if (r != BA_OK && r != BA_ERR_NOMEM)
		r = BA_ERR_INVALID_TOKEN;
	json_decref(hdr);
	free(hbytes);
	free(pbytes);
	free(sig);
	free(typ_copy);
	return r;
}

int
jws_verify(const char *compact, size_t len, jws_key_lookup_fn lookup, void *arg,
           char **payload, size_t *payload_len, char **typ)
{
	if (payload == NULL)
		return BA_ERR_INVALID_TOKEN;
	*payload = NULL;
	if (payload_len != NULL)
		*payload_len = 0;
	if (typ != NULL)
		*typ = NULL;
	if (lookup == NULL)
		return BA_ERR_INVALID_TOKEN;
	return verify_compact(compact, len, lookup, arg, NULL, payload, payload_len, typ);
}

int
jws_verify_with_key(const char *compact, size_t len, const struct jws_key *k,
                    char **payload, size_t *payload_len)
{
	if (payload == NULL)
		return BA_ERR_INVALID_TOKEN;
	*payload = NULL;
	if (payload_len != NULL)
		*payload_len = 0;
	if (k == NULL)
		return BA_ERR_INVALID_TOKEN;
	return verify_compact(compact, len, NULL, NULL, k, payload, payload_len, NULL);
}
