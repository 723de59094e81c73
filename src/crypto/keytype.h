/*
 * keytype.h - the types of device public key crypto/ parses and verifies
 * with. The domain's model (domain/model.h) records one on each
 * authenticator; crypto/ needs no more of the model than this.
 */
#ifndef BIOAUTH_CRYPTO_KEYTYPE_H
#define BIOAUTH_CRYPTO_KEYTYPE_H

enum key_type {
	KEY_TYPE_EC = 1,   /* EC P-256 */
	KEY_TYPE_RSA = 2,  /* RSA 2048-4096 */
};

#endif
