"""Challenge binding and single use (issue 15, item 4), black-box.

- A /start challenge bound to a device_id is accepted only from a key
  registered with exactly that device_id; a key registered without one is
  refused (400 invalid_challenge) like a key of another device.
- Every accepted (challenge, signature) is recorded per app and public key
  (SHA-256 of the key's SubjectPublicKeyInfo), not only per publicKeyId:
  deleting the key and registering the same public key again does not let a
  captured client-made challenge and its signature be replayed, and the same
  public key registered under two publicKeyIds does not accept one
  signature twice.
"""

from __future__ import annotations

import copy

import pytest

import helpers as h
import mb_helpers as mb
from mb_helpers import Device, MBClient, Person, assert_err, assert_tokens, auth_body, enroll


@pytest.fixture(scope="module")
def client(server):
    return MBClient(server, h.create_app(server))


def test_device_bound_challenge_refuses_key_without_device(client):
    alice = Person(client)
    bound, loose = Device("ios", "ec"), Device("android", "ec")
    enroll(client, alice, bound, device_id=bound.device_id)
    enroll(client, alice, loose)                       # no device_id
    ch = client.challenge(alice.user_id, device_id=bound.device_id)
    assert_err(client.authenticate(auth_body(alice, loose, ch)), 400, "invalid_challenge")
    assert_tokens(client, client.authenticate(auth_body(alice, bound, ch)), alice)
    # a challenge without device_id fits every key
    ch = client.challenge(alice.user_id)
    assert_tokens(client, client.authenticate(auth_body(alice, loose, ch)), alice)


def test_replay_after_delete_and_register_again(client):
    alice = Person(client)
    dev = Device("ios", "ec")
    enroll(client, alice, dev)
    captured = auth_body(alice, dev, mb.client_challenge())
    assert_tokens(client, client.authenticate(captured), alice)
    assert client.delete(alice.utoken, dev.key_id).status_code == 204
    enroll(client, alice, dev)                         # the same key, the same id
    assert_err(client.authenticate(captured), 400, "challenge_reused")


def test_one_public_key_under_two_ids_accepts_a_signature_once(client):
    alice = Person(client)
    dev = Device("ios", "ec")
    twin = copy.copy(dev)
    twin.key_id = mb.unique("twin")
    enroll(client, alice, dev)
    enroll(client, alice, twin)                        # same public key, other id
    ch = mb.client_challenge()
    sig = dev.sign(ch)
    assert_tokens(client, client.authenticate(auth_body(alice, dev, ch, signature=sig)), alice)
    assert_err(client.authenticate(auth_body(alice, twin, ch, signature=sig)), 400,
               "challenge_reused")
