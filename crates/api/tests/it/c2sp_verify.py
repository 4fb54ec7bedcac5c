#!/usr/bin/env python3
"""An independent verifier of a C2SP tlog-checkpoint signed note, for the API's tests.

Written from the specifications alone (c2sp.org/signed-note, c2sp.org/tlog-checkpoint), in
another language than the signer, so that a mistake shared by Cloison's signer and its own
verifier cannot pass unnoticed.

Usage: c2sp_verify.py NOTE_FILE PUBLIC_KEY_HEX EXPECTED_SIZE EXPECTED_ROOT_HEX
Exits 0 when the note is a checkpoint signed by the key under the note's origin, with the
expected size and root; 1 otherwise, with the reason on standard error.
"""

import base64
import binascii
import hashlib
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def fail(reason):
    print(f"checkpoint refused: {reason}", file=sys.stderr)
    sys.exit(1)


def b64(text, what):
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        fail(f"{what} is not standard base64: {e}")


def main():
    if len(sys.argv) != 5:
        fail("usage: c2sp_verify.py NOTE_FILE PUBLIC_KEY_HEX EXPECTED_SIZE EXPECTED_ROOT_HEX")
    note_path, key_hex, expected_size, expected_root = sys.argv[1:]
    raw = open(note_path, "rb").read()
    try:
        note = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(f"not UTF-8: {e}")
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        fail("contains a control character other than newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        fail("no blank line before the signatures")
    text, signatures = note[: cut + 1], note[cut + 2 :]
    if not signatures.endswith("\n"):
        fail("the signature lines do not end in a newline")

    lines = text[:-1].split("\n")
    if len(lines) < 3:
        fail("fewer than three lines of text")
    origin, size_line, root_line = lines[0], lines[1], lines[2]
    if not origin or any(c.isspace() or c == "+" for c in origin):
        fail(f"origin {origin!r} is not a valid key name")
    if not size_line.isascii() or not size_line.isdigit() or (size_line != "0" and size_line.startswith("0")):
        fail(f"tree size {size_line!r} is not canonical decimal")
    root = b64(root_line, "root hash")
    if len(root) != 32:
        fail(f"root hash has {len(root)} bytes, not 32")

    public = bytes.fromhex(key_hex)
    key_id = hashlib.sha256(origin.encode() + b"\n" + b"\x01" + public).digest()[:4]
    key = Ed25519PublicKey.from_public_bytes(public)
    verified = False
    for line in signatures[:-1].split("\n"):
        if not line.startswith("\u2014 "):
            fail(f"signature line {line!r} does not start with an em dash and a space")
        name, _, encoded = line[2:].partition(" ")
        signature = b64(encoded, "signature")
        if name != origin or signature[:4] != key_id:
            continue  # another signer, a witness perhaps: ignored, as the spec requires
        try:
            key.verify(signature[4:], text.encode("utf-8"))
        except InvalidSignature:
            fail(f"the signature of {name} does not verify")
        verified = True
    if not verified:
        fail(f"no signature by {origin} with key id {key_id.hex()}")

    if int(size_line) != int(expected_size):
        fail(f"size {size_line} differs from the head's {expected_size}")
    if root.hex() != expected_root:
        fail(f"root {root.hex()} differs from the head's {expected_root}")
    print(f"checkpoint of {origin} verified: size {size_line}, root {root.hex()}")


main()
