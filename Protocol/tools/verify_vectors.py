#!/usr/bin/env python3
"""Independent conformance checker for the Coalition test vectors.

This is a second implementation of the Coalition wire format, written from
Protocol/SPEC.md alone (not from the Swift sources), so that the specification
can be shown to suffice. It reads the JSON files of Protocol/test-vectors/ and
checks every vector:

  entries.json          rebuild each entry byte for byte (body, header, signing
                        input, Ed25519 signature, entry ID), check the author's
                        member ID, validate it (SPEC §7.1) and its chain (§7.2)
  invalid-entries.json  every entry is rejected with the stated code and field
  sealed-entries.json   verify, then open with every recipient seed (§6.2) and
                        check that the non-recipient cannot
  member-ids.json       encode keys, parse every spelling, reject invalid text
  merge.json            deliver the entries in order to an in-memory node
                        (§7.2-§8) and compare outcomes, signals, equivocators,
                        digest lines and digest
  scenarios.json        every scenario like merge.json, each on its own empty
                        node that opens sealed entries with the scenario's
                        readerSeed when present (§6.2, §8.2, §8.9)
  labels.json           the publish rule for labels (§5.4): each list of labels
                        as typed gives the stated canonical list, or is rejected
  trends.json           the publish rule for trends (§5.8), both with the
                        Unicode 15.0 repertoire of §5.6 rule 5

With --export FILE it checks a JSONL export written by `coalition export`
instead, from SPEC §9 and the sections it relies on (§2, §3, §7.1, §7.2).
Empty (white-space-only) lines are skipped; for every other line:

  - it ends with \n, is UTF-8 and one JSON object (no duplicate keys) with the
    keys author, entry, id, seq and type of the right JSON types (other keys
    are ignored, as readers should); `seq` is an integer of 0..2^64-1, read
    exactly (never as a double)
  - `entry` is canonical standard base64 with padding; the decoded entry is
    intrinsically valid (§7.1, in the reference order: frame F1-F7, strict
    Ed25519 signature S1 over "coalition:entry:v1" 0x00 || signed bytes, body
    rules B1-B9 and the field rules, key rotation R1-R2); unknown body types
    are opaque and sealed entries are checked as envelopes only (§6.3)
  - `id` is 64 lowercase hex digits and equals SHA-256 of the entry (§3.3)
  - `author` parses as a member ID (§2.2), names the entry's author key, and
    is its canonical spelling with dashes; `seq` equals the header's seq and
    `type` is the §4.2 name of the header's body type (`type-N` if unknown)
  - chains (§7.2): the file must list predecessors first (§9), so an entry with
    seq > 1 must link to a valid entry of an earlier line (same author,
    seq - 1, prev = its ID, timestamp not earlier, not a key rotation); an
    entry whose predecessor is missing, later in the file or not valid fails,
    and so does a line repeating an earlier line's entry. A wrong convenience
    key (author, seq, type, id spelling) fails its line but not the entry, so
    the entry's successors can still link to it.

Usage:

    python3 Protocol/tools/verify_vectors.py [--vectors DIR] [--verbose]
    python3 Protocol/tools/verify_vectors.py --export FILE [--verbose]

DIR defaults to the test-vectors directory next to this file's parent
(Protocol/test-vectors); FILE may be - for standard input. Requires
Python 3.8+ and PyNaCl (pip install pynacl).

Output: one line per failing check, then exactly one summary line,
"vectors: N passed, M failed" (N and M count checks), or with --export
"FAIL line L: what failed" (L is the 1-based line number in FILE) and
"export: N passed, M failed" (N and M count non-empty lines: a line passes
when all its checks do). Exit status 0 if nothing failed, 1 otherwise, 2 if
PyNaCl is missing, the command line is wrong or FILE cannot be read.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import functools
import hashlib
import json
import re
import struct
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple

try:
    import nacl.bindings as sodium
    import nacl.exceptions
except ImportError:
    print("verify_vectors.py: PyNaCl is required: pip install pynacl", file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------------------
# Constants (§3, §10)
# ---------------------------------------------------------------------------

ENTRY_DOMAIN = b"coalition:entry:v1\x00"  # §3.2 signing input prefix
ROTATE_DOMAIN = b"coalition:rotate:v1\x00"  # §4.6 rotation statement prefix
HEADER_FORMAT = ">B32sQ32sqHI"  # §3.1: version, author, seq, prev, timestamp, body type, length
HEADER_LEN = 87
SIG_LEN = 64
MIN_ENTRY = HEADER_LEN + SIG_LEN  # 151
MAX_ENTRY = 65536  # §10
ZERO32 = bytes(32)

PUBLISH, RETRACT, OPINION, ROTATION, SEALED = 1, 2, 3, 4, 5  # §4.2
RECORD_LEN = 112  # §4.7: key [32] || sealed content key [80]

# §3.4: Ed25519 group order and field prime.
ED_L = 2**252 + 27742317777372353535851937790883648493
ED_P = 2**255 - 19
# §3.4 rule 2: y values (top bit of byte 31 cleared) of the small-order points.
SMALL_ORDER_Y = {
    bytes(32),
    (1).to_bytes(32, "little"),
    (ED_P - 1).to_bytes(32, "little"),
    ED_P.to_bytes(32, "little"),
    (ED_P + 1).to_bytes(32, "little"),
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
}


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def keypair(seed: bytes) -> Tuple[bytes, bytes]:
    """(public key, 64-byte libsodium secret key) from a 32-byte seed (§2.1)."""
    return sodium.crypto_sign_seed_keypair(seed)


def sign(secret_key: bytes, message: bytes) -> bytes:
    """Deterministic detached Ed25519 signature (§3.2)."""
    return sodium.crypto_sign(message, secret_key)[:SIG_LEN]


def verify_strict(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Strict Ed25519 verification, §3.4.

    Rules 1-3 are spelled out here so that the checker does not depend on the
    libsodium build; libsodium >= 1.0.18 (bundled with PyNaCl) applies them too
    and does the cofactorless equation check of rule 4.
    """
    if len(public_key) != 32 or len(signature) != SIG_LEN:
        return False
    r, s = signature[:32], signature[32:]
    if int.from_bytes(s, "little") >= ED_L:  # rule 1: non-canonical S
        return False
    for point in (r, public_key):  # rule 2: small-order R or A
        if point[:31] + bytes([point[31] & 0x7F]) in SMALL_ORDER_Y:
            return False
    if int.from_bytes(public_key, "little") & (2**255 - 1) >= ED_P:  # rule 3
        return False
    try:
        sodium.crypto_sign_open(signature + message, public_key)
    except (nacl.exceptions.CryptoError, ValueError):
        return False
    return True


# ---------------------------------------------------------------------------
# Member IDs (§2.2)
# ---------------------------------------------------------------------------

B32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def base32_nopad(data: bytes) -> str:
    """RFC 4648 base32, MSB first, without padding (§2.2)."""
    bits = len(data) * 8
    chars = -(-bits // 5)
    value = int.from_bytes(data, "big") << (chars * 5 - bits)
    return "".join(B32_ALPHABET[(value >> (5 * (chars - 1 - i))) & 31] for i in range(chars))


def luhn32(body: str) -> str:
    """Luhn mod 32 check character; the factor starts at 2 on the RIGHTMOST character."""
    factor, total = 2, 0
    for c in reversed(body):
        addend = factor * B32_ALPHABET.index(c)
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return B32_ALPHABET[(32 - total % 32) % 32]


def encode_member_id(key: bytes) -> str:
    s = base32_nopad(key)  # 52 characters
    out = ""
    for g in range(4):
        body = s[13 * g:13 * g + 13]
        out += body + luhn32(body)
    return "-".join(out[7 * i:7 * i + 7] for i in range(8))


MEMBER_ID_ALIASES = {ord("0"): ord("O"), ord("1"): ord("I"), ord("8"): ord("B")}


class MemberIDError(ValueError):
    """Parse failure: error code invalid-member-id (§2.2)."""


def parse_member_id(text: str) -> bytes:
    """§2.2 "Parsing", steps 1-4, on the UTF-8 bytes of the input."""
    kept = bytearray()
    for b in text.encode("utf-8"):  # step 1
        if b in b"- ":
            continue
        if 0x61 <= b <= 0x7A:  # a-z -> A-Z
            b -= 0x20
        kept.append(MEMBER_ID_ALIASES.get(b, b))
    if len(kept) != 56:  # step 2
        raise MemberIDError(f"{len(kept)} significant bytes, expected 56")
    bodies = ""
    for g in range(4):  # step 3
        body, check = kept[14 * g:14 * g + 13], kept[14 * g + 13:14 * g + 14]
        if any(chr(b) not in B32_ALPHABET for b in body):
            raise MemberIDError(f"group {g + 1}: byte outside the base32 alphabet")
        body_text = body.decode("ascii")
        if check != luhn32(body_text).encode("ascii"):
            raise MemberIDError(f"group {g + 1}: check character mismatch")
        bodies += body_text
    value = 0
    for c in bodies:  # step 4: 52 characters = 260 bits
        value = (value << 5) | B32_ALPHABET.index(c)
    if value & 0xF:
        raise MemberIDError("the 4 pad bits are not zero")
    return (value >> 4).to_bytes(32, "big")


# ---------------------------------------------------------------------------
# Validity errors (§7.1)
# ---------------------------------------------------------------------------

class Invalid(Exception):
    """An entry is invalid: error code and field as in §7.1 / §7.2."""

    def __init__(self, code: str, field_name: str, why: str = ""):
        super().__init__(f"{code} ({field_name}){': ' + why if why else ''}")
        self.code = code
        self.field = field_name


def malformed(field_name: str, why: str = "") -> Invalid:
    return Invalid("malformed-entry", field_name, why)


def too_large(field_name: str, why: str = "") -> Invalid:
    return Invalid("too-large", field_name, why)


# ---------------------------------------------------------------------------
# Field lists and value types (§4.1)
# ---------------------------------------------------------------------------

def parse_field_list(body: bytes) -> Dict[int, bytes]:
    """Split a body into {tag: value}, applying B1 then B2 (§7.1).

    B1 (no truncated field) is checked over the whole list before B2 (tags
    strictly ascending), following the rule order of §7.1.
    """
    fields: List[Tuple[int, bytes]] = []
    pos = 0
    while pos < len(body):
        if pos + 5 > len(body):
            raise malformed("body", "truncated field header")
        tag = body[pos]
        (length,) = struct.unpack_from(">I", body, pos + 1)
        if pos + 5 + length > len(body):
            raise malformed("body", f"field {tag} runs past the body")
        fields.append((tag, body[pos + 5:pos + 5 + length]))
        pos += 5 + length
    for (previous, _), (tag, _) in zip(fields, fields[1:]):
        if tag <= previous:
            raise malformed("body", f"tag {tag} after tag {previous}")
    return dict(fields)


def required(fields: Dict[int, bytes], tag: int, name: str) -> bytes:
    if tag not in fields:  # B3
        raise malformed(name, "required field missing")
    return fields[tag]


def fixed(value: bytes, size: int, name: str) -> bytes:
    if len(value) != size:  # B4
        raise malformed(name, f"{len(value)} bytes, expected {size}")
    return value


def as_u8(value: bytes, name: str) -> int:
    return fixed(value, 1, name)[0]


def as_i64(value: bytes, name: str) -> int:
    return struct.unpack(">q", fixed(value, 8, name))[0]


def as_text(value: bytes, limit: int, name: str) -> str:
    """text(max) of §4.1: B5 (byte limit, first), B6 (strict UTF-8), B7 (no 0x00)."""
    if len(value) > limit:
        raise too_large(name, f"{len(value)} bytes > {limit}")
    try:
        text = value.decode("utf-8", errors="strict")  # rejects overlong, surrogates, > U+10FFFF
    except UnicodeDecodeError:
        raise malformed(name, "not strict UTF-8") from None
    if "\x00" in text:
        raise malformed(name, "contains 0x00")
    return text


def as_text_list(value: bytes, item_limit: int, max_items: int, name: str) -> List[str]:
    """list of text (§4.1): B8 (item not truncated), B9 (item count), then B5-B7 per item."""
    raw_items: List[bytes] = []
    pos = 0
    while pos < len(value):
        if pos + 4 > len(value):
            raise malformed(name, "truncated item length")
        (length,) = struct.unpack_from(">I", value, pos)
        if pos + 4 + length > len(value):
            raise malformed(name, "item runs past the field")
        raw_items.append(value[pos + 4:pos + 4 + length])
        pos += 4 + length
    if len(raw_items) > max_items:
        raise too_large(name, f"{len(raw_items)} items > {max_items}")
    return [as_text(item, item_limit, name) for item in raw_items]


def is_control(c: str) -> bool:
    """Cc code point: U+0000-U+001F, U+007F-U+009F (§4.3, §5.1, §5.6)."""
    return ord(c) <= 0x1F or 0x7F <= ord(c) <= 0x9F


# ---------------------------------------------------------------------------
# Body rules (§4.3-§4.7, §5, §7.1 "Body")
# ---------------------------------------------------------------------------

KIND_RE = re.compile(rb"[a-z][a-z0-9_-]{0,31}")
CATEGORY_RE = re.compile(rb"[a-z0-9_]+(?:/[a-z0-9_]+)?")
HEX_LENGTHS = {"pdq": 64, "md5": 32, "sha256": 64}
LOWER_HEX = frozenset(b"0123456789abcdef")


def check_signal_value(kind: str, value: str) -> None:
    """Receive rule of the kind (§5.1); a failure is malformed-entry, field value."""
    raw = value.encode("utf-8")
    if kind in HEX_LENGTHS:
        if len(raw) != HEX_LENGTHS[kind] or not set(raw) <= LOWER_HEX:
            raise malformed("value", f"not {HEX_LENGTHS[kind]} lowercase hex digits")
    elif kind == "url":
        if not (raw.startswith(b"http://") or raw.startswith(b"https://")):
            raise malformed("value", "URL does not start with http:// or https://")
        if any(b < 0x21 or b > 0x7E for b in raw):
            raise malformed("value", "URL byte outside 0x21-0x7E")
    elif kind == "trend":
        if not 1 <= len(raw) <= 256:
            raise malformed("value", f"trend of {len(raw)} bytes (1-256)")
        if any(is_control(c) for c in value):
            raise malformed("value", "control code point in trend")
    elif not raw:
        raise malformed("value", "empty value")


def decode_publish(fields: Dict[int, bytes], sealed: bool) -> Dict[str, Any]:
    """publish (§4.3), fields checked in the order of §7.1."""
    kind = as_text(required(fields, 1, "kind"), 32, "kind")
    if not KIND_RE.fullmatch(kind.encode("utf-8")):
        raise malformed("kind", "kind name syntax")
    value = as_text(required(fields, 2, "value"), 2048, "value")
    check_signal_value(kind, value)
    category = as_text(required(fields, 3, "category"), 100, "category")
    if not CATEGORY_RE.fullmatch(category.encode("utf-8")):
        raise malformed("category", "category syntax (§5.2)")
    severity = as_u8(required(fields, 4, "severity"), "severity")
    if severity > 3:
        raise malformed("severity", f"severity {severity} > 3")
    tlp = as_u8(required(fields, 5, "tlp"), "tlp")
    if tlp > 4:
        raise malformed("tlp", f"tlp {tlp} > 4")
    if tlp in (3, 4) and not sealed:  # §6.4
        raise malformed("tlp", "TLP amber+strict/red in a plaintext entry")
    signal: Dict[str, Any] = dict(kind=kind, value=value, category=category,
                                  severity=severity, tlp=tlp)
    if 6 in fields:
        signal["labels"] = decode_labels(fields[6])
    if 7 in fields:
        signal["expiresAt"] = as_i64(fields[7], "expiresAt")
    if 8 in fields:
        signal["note"] = as_text(fields[8], 1024, "note")
        if not signal["note"]:
            raise malformed("note", "empty note")
    if 9 in fields:
        quality = as_u8(fields[9], "quality")
        if kind != "pdq":
            raise malformed("quality", "quality on a non-pdq signal")
        if quality > 100:
            raise malformed("quality", f"quality {quality} > 100")
        signal["quality"] = quality
    return signal


def decode_labels(value: bytes) -> List[str]:
    labels = as_text_list(value, 64, 32, "labels")
    if not labels:
        raise malformed("labels", "empty label list")
    for label in labels:
        if not label:
            raise malformed("labels", "empty label")
        if any(is_control(c) for c in label):
            raise malformed("labels", "control code point in a label")
    encoded = [label.encode("utf-8") for label in labels]
    if any(a >= b for a, b in zip(encoded, encoded[1:])):
        raise malformed("labels", "labels not strictly ascending by bytes")
    return labels


def decode_retract(fields: Dict[int, bytes]) -> Dict[str, Any]:
    """retract (§4.4)."""
    target = fixed(required(fields, 1, "target"), 32, "target")
    reason = as_text(required(fields, 2, "reason"), 1024, "reason")
    if not reason:
        raise malformed("reason", "empty reason")
    return dict(target=target, reason=reason)


def decode_opinion(fields: Dict[int, bytes]) -> Dict[str, Any]:
    """opinion (§4.5)."""
    target = fixed(required(fields, 1, "target"), 32, "target")
    stance = as_u8(required(fields, 2, "stance"), "stance")
    if stance not in (1, 2, 3):
        raise malformed("stance", f"stance {stance}")
    opinion: Dict[str, Any] = dict(target=target, stance=stance)
    if 3 in fields:
        opinion["note"] = as_text(fields[3], 1024, "note")
        if not opinion["note"]:
            raise malformed("note", "empty note")
    return opinion


def decode_rotation(fields: Dict[int, bytes]) -> Dict[str, Any]:
    """key rotation (§4.6); R1 and R2 need the author and run in decode_entry."""
    successor = fixed(required(fields, 1, "successor"), 32, "successor")
    signature = fixed(required(fields, 2, "successorSignature"), 64, "successorSignature")
    return dict(successor=successor, successorSignature=signature)


def decode_sealed(fields: Dict[int, bytes]) -> Dict[str, Any]:
    """sealed envelope (§4.7); the content is not a validity matter (§6.3)."""
    blob = required(fields, 1, "recipients")
    if not blob or len(blob) % RECORD_LEN:
        raise malformed("recipients", f"{len(blob)} bytes is not a positive multiple of 112")
    records = [blob[i:i + RECORD_LEN] for i in range(0, len(blob), RECORD_LEN)]
    if len(records) > 256:
        raise too_large("recipients", f"{len(records)} recipients > 256")
    keys = [record[:32] for record in records]
    if any(a >= b for a, b in zip(keys, keys[1:])):
        raise malformed("recipients", "recipient keys not strictly ascending")
    nonce = fixed(required(fields, 2, "nonce"), 24, "nonce")
    ciphertext = required(fields, 3, "ciphertext")
    if len(ciphertext) < 18:
        raise malformed("ciphertext", f"{len(ciphertext)} bytes < 18")
    return dict(recipients={r[:32]: r[32:] for r in records}, nonce=nonce, ciphertext=ciphertext)


def decode_body(body_type: int, body: bytes, sealed: bool = False) -> Optional[Dict[str, Any]]:
    """Decode and check a body of a known type (1-5); unknown types are opaque (§4.8).

    `sealed` is True for the inner body of a sealed entry, where TLP 3 and 4 are allowed.
    """
    decoders: Dict[int, Callable[[Dict[int, bytes]], Dict[str, Any]]] = {
        PUBLISH: lambda f: decode_publish(f, sealed),
        RETRACT: decode_retract,
        OPINION: decode_opinion,
        ROTATION: decode_rotation,
        SEALED: decode_sealed,
    }
    if body_type not in decoders:
        return None
    return decoders[body_type](parse_field_list(body))


# ---------------------------------------------------------------------------
# Entries (§3) and intrinsic validity (§7.1)
# ---------------------------------------------------------------------------

@dataclass
class Entry:
    raw: bytes
    id: bytes
    author: bytes
    seq: int
    prev: bytes
    timestamp: int
    body_type: int
    body: bytes
    content: Optional[Dict[str, Any]]  # decoded body, None for unknown body types


def build_signed_bytes(author: bytes, seq: int, prev: bytes, timestamp: int,
                       body_type: int, body: bytes) -> bytes:
    """The entry without its signature (§3.1): 87-byte header followed by the body."""
    header = struct.pack(HEADER_FORMAT, 1, author, seq, prev, timestamp, body_type, len(body))
    return header + body


def decode_entry(raw: bytes) -> Entry:
    """Decode an entry and apply the intrinsic rules of §7.1 in the reference order:
    frame F1-F7, signature S1, body B1-B9 and field rules, key rotation R1-R2.
    Raises Invalid with the first failure."""
    if len(raw) > MAX_ENTRY:  # F1
        raise too_large("entry", f"{len(raw)} bytes > {MAX_ENTRY}")
    if len(raw) < MIN_ENTRY:  # F2
        raise malformed("entry", f"{len(raw)} bytes < {MIN_ENTRY}")
    version, author, seq, prev, timestamp, body_type, body_len = struct.unpack_from(
        HEADER_FORMAT, raw)
    if version != 1:  # F3
        raise malformed("version", f"version {version}")
    if len(raw) != HEADER_LEN + body_len + SIG_LEN:  # F4
        raise malformed("entry", f"{len(raw)} bytes, body length {body_len} implies "
                                 f"{HEADER_LEN + body_len + SIG_LEN}")
    if seq < 1:  # F5
        raise malformed("seq", "seq 0")
    if (prev == ZERO32) != (seq == 1):  # F6
        raise Invalid("broken-chain", "prev", "prev must be all zero exactly when seq = 1")
    if timestamp < 0:  # F7
        raise malformed("timestamp", f"timestamp {timestamp}")
    signed, signature = raw[:-SIG_LEN], raw[-SIG_LEN:]
    if not verify_strict(author, ENTRY_DOMAIN + signed, signature):  # S1
        raise Invalid("bad-signature", "signature")
    body = raw[HEADER_LEN:HEADER_LEN + body_len]
    content = decode_body(body_type, body)
    if body_type == ROTATION:
        check_rotation(author, content)
    return Entry(raw, sha256(raw), author, seq, prev, timestamp, body_type, body, content)


def rotation_statement(author: bytes, successor: bytes) -> bytes:
    return ROTATE_DOMAIN + author + successor  # §4.6


def check_rotation(author: bytes, content: Dict[str, Any]) -> None:
    """R1 and R2 of §7.1."""
    successor = content["successor"]
    if successor == author:
        raise malformed("successor", "rotation to the author's own key")
    if not verify_strict(successor, rotation_statement(author, successor),
                         content["successorSignature"]):
        raise Invalid("bad-signature", "successorSignature")


def check_chain(entry: Entry, predecessor: Entry) -> None:
    """Chain rules of §7.2 (all broken-chain)."""
    if predecessor.id != entry.prev:
        raise Invalid("broken-chain", "prev", "predecessor ID differs from prev")
    if predecessor.author != entry.author:
        raise Invalid("broken-chain", "prev", "predecessor by another author")
    if predecessor.seq + 1 != entry.seq:
        raise Invalid("broken-chain", "seq", "seq is not predecessor seq + 1")
    if entry.timestamp < predecessor.timestamp:
        raise Invalid("broken-chain", "timestamp", "timestamp before the predecessor's")
    if predecessor.body_type == ROTATION:
        raise Invalid("broken-chain", "prev", "predecessor is a key rotation")


# ---------------------------------------------------------------------------
# Sealed entries (§6.2)
# ---------------------------------------------------------------------------

class Unreadable(Exception):
    """A sealed entry this reader cannot open (§6.2, §6.3)."""


def open_sealed(entry: Entry, seed: bytes) -> Tuple[int, bytes, Dict[str, Any]]:
    """Open a valid sealed entry with a reader's seed; returns (inner type, inner body,
    decoded inner body) or raises Unreadable."""
    public_key, secret_key = keypair(seed)
    envelope = entry.content
    sealed_key = envelope["recipients"].get(public_key)  # step 1
    if sealed_key is None:
        raise Unreadable("reader is not a recipient")
    try:  # step 2
        x_pk = sodium.crypto_sign_ed25519_pk_to_curve25519(public_key)
        x_sk = sodium.crypto_sign_ed25519_sk_to_curve25519(secret_key)
        content_key = sodium.crypto_box_seal_open(sealed_key, x_pk, x_sk)
    except (nacl.exceptions.CryptoError, ValueError) as err:
        raise Unreadable(f"sealed content key does not open: {err}") from None
    try:  # step 3: AD = version || author || seq, the first 41 bytes of the entry
        plaintext = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            envelope["ciphertext"], entry.raw[:41], envelope["nonce"], content_key)
    except (nacl.exceptions.CryptoError, ValueError) as err:
        raise Unreadable(f"ciphertext does not authenticate: {err}") from None
    if len(plaintext) < 2:
        raise Unreadable("plaintext shorter than 2 bytes")
    inner_type = int.from_bytes(plaintext[:2], "big")  # step 4
    if inner_type not in (PUBLISH, RETRACT, OPINION):
        raise Unreadable(f"inner body type {inner_type}")
    try:  # step 5: TLP 3 and 4 allowed, nothing else relaxed
        inner = decode_body(inner_type, plaintext[2:], sealed=True)
    except Invalid as err:
        raise Unreadable(f"inner body invalid: {err}") from None
    return inner_type, plaintext[2:], inner


# ---------------------------------------------------------------------------
# Node: receipt (§7.3) and merged state (§8)
# ---------------------------------------------------------------------------

class Node:
    """An in-memory replica: valid entries E, pending entries, and the merge of §8."""

    def __init__(self, read_seed: Optional[bytes] = None):
        self.read_seed = read_seed
        self.valid: Dict[bytes, Entry] = {}
        self.pending: Dict[bytes, Entry] = {}

    def deliver(self, raw: bytes) -> str:
        """Receive one entry; returns applied, pending, duplicate or rejected:<code>."""
        entry_id = sha256(raw)
        if entry_id in self.valid or entry_id in self.pending:  # §7.3
            return "duplicate"
        try:
            entry = decode_entry(raw)
            if entry.seq > 1:
                predecessor = self.valid.get(entry.prev)
                if predecessor is None:  # §7.3: hold until the predecessor is valid
                    self.pending[entry.id] = entry
                    return "pending"
                check_chain(entry, predecessor)
        except Invalid as err:
            return f"rejected:{err.code}"
        self._accept(entry)
        return "applied"

    def _accept(self, entry: Entry) -> None:
        """Make an entry valid, then release the entries pending on it, transitively."""
        ready = [entry]
        while ready:
            current = ready.pop()
            self.valid[current.id] = current
            for waiting in [p for p in self.pending.values() if p.prev == current.id]:
                del self.pending[waiting.id]
                try:
                    check_chain(waiting, current)
                    ready.append(waiting)
                except Invalid:
                    pass  # §7.3: does not link, discarded

    def state(self) -> "State":
        return merged_state(self.valid.values(), self.read_seed)


class Ref(NamedTuple):
    """An entry's position in its chain, ordered as (u64, bytes) per §8.4 and §8.5."""
    seq: int
    id: bytes


class Opinion(NamedTuple):
    ref: Ref
    stance: int  # 1 confirm, 2 dispute, 3 seen (§4.5)


@dataclass
class Signal:
    id: bytes
    author: bytes
    seq: int
    fields: Dict[str, Any]  # the decoded publish body
    restricted: bool
    retraction: Optional[Ref] = None  # the smallest retraction by the author (§8.4)
    verdict: str = "none"

    @property
    def retracted_by(self) -> Optional[bytes]:
        return self.retraction.id if self.retraction else None


@dataclass
class State:
    signals: Dict[bytes, Signal] = field(default_factory=dict)
    opinions: Dict[Tuple[bytes, bytes], Opinion] = field(default_factory=dict)  # (author, target)
    equivocators: List[bytes] = field(default_factory=list)
    rotations: List[Tuple[bytes, bytes]] = field(default_factory=list)
    unreadable: List[bytes] = field(default_factory=list)

    def digest_lines(self) -> List[str]:
        """§8.10, sorted by UTF-8 bytes."""
        lines = [f"signal {s.id.hex()} {s.retracted_by.hex() if s.retracted_by else '-'}"
                 for s in self.signals.values()]
        lines += [f"opinion {author.hex()} {target.hex()} {winner.ref.id.hex()}"
                  for (author, target), winner in self.opinions.items()]
        lines += [f"equivocator {a.hex()}" for a in self.equivocators]
        lines += [f"rotation {a.hex()} {s.hex()}" for a, s in self.rotations]
        lines += [f"unreadable {i.hex()}" for i in self.unreadable]
        return sorted(lines, key=lambda line: line.encode("utf-8"))

    def digest(self) -> str:
        return sha256(b"".join(line.encode("utf-8") + b"\n" for line in self.digest_lines())).hex()


def readable_body(entry: Entry,
                  read_seed: Optional[bytes]) -> Tuple[Optional[int], Any, bool]:
    """§8.2: (type, decoded body, restricted) or (None, None, False) if not readable."""
    if entry.body_type in (PUBLISH, RETRACT, OPINION, ROTATION):
        return entry.body_type, entry.content, False
    if entry.body_type == SEALED and read_seed is not None:
        try:
            inner_type, _, inner = open_sealed(entry, read_seed)
            return inner_type, inner, True
        except Unreadable:
            pass
    return None, None, False


def merged_state(entries: Iterable[Entry], read_seed: Optional[bytes] = None) -> State:
    """The merged state of §8 as a function of the set of valid entries E (and key k)."""
    entries = list(entries)
    state = State()
    retracts, opinion_entries = [], []
    for e in entries:
        body_type, body, restricted = readable_body(e, read_seed)
        if e.body_type == SEALED and body_type is None:
            state.unreadable.append(e.id)  # §8.9
        if body_type == PUBLISH:  # §8.3
            state.signals[e.id] = Signal(e.id, e.author, e.seq, body, restricted)
        elif body_type == RETRACT:
            retracts.append((e, body))
        elif body_type == OPINION:
            opinion_entries.append((e, body))
        elif body_type == ROTATION:  # §8.7
            pair = (e.author, body["successor"])
            if pair not in state.rotations:
                state.rotations.append(pair)
    apply_retractions(state, retracts)
    apply_opinions(state, opinion_entries)
    state.equivocators = find_equivocators(entries)
    return state


def apply_retractions(state: State, retracts: List[Tuple[Entry, Dict[str, Any]]]) -> None:
    """§8.4: only the signal's own author retracts; the smallest (seq, id) is shown."""
    for e, body in retracts:
        signal = state.signals.get(body["target"])
        if signal is None or signal.author != e.author:
            continue
        ref = Ref(e.seq, e.id)
        if signal.retraction is None or ref < signal.retraction:
            signal.retraction = ref


def apply_opinions(state: State, opinion_entries: List[Tuple[Entry, Dict[str, Any]]]) -> None:
    """§8.5 winning opinion per (author, target): largest (seq, id); §8.6 verdict."""
    for e, body in opinion_entries:
        key = (e.author, body["target"])
        candidate = Opinion(Ref(e.seq, e.id), body["stance"])
        if key not in state.opinions or candidate.ref > state.opinions[key].ref:
            state.opinions[key] = candidate
    for signal in state.signals.values():
        stances = [w.stance for (_, target), w in state.opinions.items() if target == signal.id]
        signal.verdict = VERDICTS[(1 in stances, 2 in stances)]


# §8.6: (any winning confirm, any winning dispute) -> verdict; `seen` does not count.
VERDICTS = {(False, False): "none", (True, False): "confirmed",
            (True, True): "disputed", (False, True): "false_positive"}


def find_equivocators(entries: Iterable[Entry]) -> List[bytes]:
    """§8.7: authors with two or more entries with the same seq."""
    seen, equivocators = set(), set()
    for e in entries:
        if (e.author, e.seq) in seen:
            equivocators.add(e.author)
        seen.add((e.author, e.seq))
    return sorted(equivocators)


# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------

class Report:
    """Counts checks; prints one line per failing check."""

    def __init__(self, verbose: bool = False):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose

    def ok(self, file: str, vector: str, what: str, condition: bool, detail: str = "") -> bool:
        if condition:
            self.passed += 1
            if self.verbose:
                print(f"ok   {file} {vector}: {what}")
        else:
            self.failed += 1
            print(f"FAIL {file} {vector}: {what}{': ' + detail if detail else ''}")
        return condition

    def same(self, file: str, vector: str, what: str, expected: Any, actual: Any) -> bool:
        equal = expected == actual
        return self.ok(file, vector, what, equal, "" if equal else describe_diff(expected, actual))

    def summary(self) -> str:
        return f"vectors: {self.passed} passed, {self.failed} failed"


def describe_diff(expected: Any, actual: Any) -> str:
    """A short description of how two values differ (long strings: first difference)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        keys = sorted(k for k in set(expected) | set(actual) if expected.get(k) != actual.get(k))
        return "; ".join(f"{k}: {describe_diff(expected.get(k), actual.get(k))}" for k in keys)
    long_strings = (isinstance(expected, str) and isinstance(actual, str)
                    and max(len(expected), len(actual)) > 70)
    if long_strings:
        i = next((k for k, (a, b) in enumerate(zip(expected, actual)) if a != b),
                 min(len(expected), len(actual)))
        return (f"differs at character {i} (lengths {len(expected)} / {len(actual)}): "
                f"expected …{expected[i:i + 16]}…, got …{actual[i:i + 16]}…")
    return f"expected {expected!r}, got {actual!r}"


def guarded(report: Report, file: str, vector: str, run: Callable[[], None]) -> None:
    """Run one vector's checks; a broken vector (missing key, bad hex) is one failure."""
    try:
        run()
    except (Invalid, Unreadable, MemberIDError, KeyError, ValueError, TypeError,
            struct.error) as err:
        report.ok(file, vector, "vector could be checked", False,
                  f"{type(err).__name__}: {err}")


# ---------------------------------------------------------------------------
# entries.json (§11): rebuild every entry from its inputs
# ---------------------------------------------------------------------------

def encode_field(tag: int, value: bytes) -> bytes:
    return struct.pack(">BI", tag, len(value)) + value  # §4.1


def encode_text_list(items: List[str]) -> bytes:
    return b"".join(struct.pack(">I", len(b)) + b for b in (s.encode("utf-8") for s in items))


def encode_body(body_type: int, body: Dict[str, Any], author: bytes) -> bytes:
    """Canonical encoding (§4.9) of a structured `body` from entries.json."""
    if body_type == PUBLISH:
        spec = [(1, "kind", "text"), (2, "value", "text"), (3, "category", "text"),
                (4, "severity", "u8"), (5, "tlp", "u8"), (6, "labels", "list"),
                (7, "expiresAt", "i64"), (8, "note", "text"), (9, "quality", "u8")]
    elif body_type == RETRACT:
        spec = [(1, "target", "hex"), (2, "reason", "text")]
    elif body_type == OPINION:
        spec = [(1, "target", "hex"), (2, "stance", "u8"), (3, "note", "text")]
    elif body_type == ROTATION:
        return encode_rotation_body(body, author)
    else:
        raise ValueError(f"no structured encoding for body type {body_type}")
    unknown = set(body) - {name for _, name, _ in spec}
    if unknown:
        raise ValueError(f"unknown body keys {sorted(unknown)}")
    encoders = {"text": lambda v: v.encode("utf-8"), "u8": lambda v: bytes([v]),
                "i64": lambda v: struct.pack(">q", v), "hex": bytes.fromhex,
                "list": encode_text_list}
    out = b""
    for tag, name, kind in spec:
        if name in body and body[name] not in ("", []):  # §4.9: empty optional values omitted
            out += encode_field(tag, encoders[kind](body[name]))
    return out


def encode_rotation_body(body: Dict[str, Any], author: bytes) -> bytes:
    """Key rotation (§4.6). entries.json gives only the successor's seed; the successor
    key and its (deterministic) signature over the rotation statement follow from it."""
    if set(body) != {"successorSeed"}:
        raise ValueError(f"unexpected key rotation body keys {sorted(body)}")
    successor_pk, successor_sk = keypair(bytes.fromhex(body["successorSeed"]))
    statement = rotation_statement(author, successor_pk)
    return encode_field(1, successor_pk) + encode_field(2, sign(successor_sk, statement))


def check_entries_file(report: Report, file: str, data: Dict[str, Any]) -> None:
    chain: Dict[bytes, Entry] = {}
    for v in data["vectors"]:
        name = v.get("name", "?")
        guarded(report, file, name,
                functools.partial(check_entry_vector, report, file, name, v, chain))


def check_entry_vector(report: Report, file: str, name: str, v: Dict[str, Any],
                       chain: Dict[bytes, Entry]) -> None:
    # Validate the given bytes first, so that later vectors can link to this one even if
    # a rebuild input below is broken.
    check_valid_and_linked(report, file, name, bytes.fromhex(v["entryHex"]), chain)
    public_key, secret_key = keypair(bytes.fromhex(v["authorSeed"]))
    report.same(file, name, "authorPublicKey (§2.1)", v.get("authorPublicKey"), public_key.hex())
    report.same(file, name, "authorMemberID (§2.2)", v.get("authorMemberID"),
                encode_member_id(public_key))
    body_bytes = bytes.fromhex(v["bodyHex"])
    if "body" in v:  # absent for raw bodies (§11)
        report.same(file, name, "bodyHex (§4)", v["bodyHex"],
                    encode_body(v["bodyType"], v["body"], public_key).hex())
    signed = build_signed_bytes(public_key, v["seq"], bytes.fromhex(v["prev"]), v["timestamp"],
                                v["bodyType"], body_bytes)
    signing_input = ENTRY_DOMAIN + signed
    report.same(file, name, "signingInputHex (§3.2)", v.get("signingInputHex"),
                signing_input.hex())
    signature = sign(secret_key, signing_input)
    report.same(file, name, "signature (§3.2)", v.get("signature"), signature.hex())
    report.same(file, name, "entryHex (§3.1)", v.get("entryHex"), (signed + signature).hex())
    report.same(file, name, "id (§3.3)", v.get("id"), sha256(bytes.fromhex(v["entryHex"])).hex())


def check_valid_and_linked(report: Report, file: str, name: str, raw: bytes,
                           chain: Dict[bytes, Entry]) -> Optional[Entry]:
    """The entry is valid (§7.1) and links to the earlier entry it names (§7.2).
    Returns the decoded entry, or None if it is invalid."""
    try:
        entry = decode_entry(raw)
    except Invalid as err:
        report.ok(file, name, "valid (§7.1)", False, str(err))
        return None
    report.ok(file, name, "valid (§7.1)", True)
    chain[entry.id] = entry
    if entry.seq > 1:
        check_link(report, file, name, entry, chain)
    return entry


def check_link(report: Report, file: str, name: str, entry: Entry,
               chain: Dict[bytes, Entry]) -> None:
    predecessor = chain.get(entry.prev)
    try:
        if predecessor is None:
            raise Invalid("broken-chain", "prev", "predecessor not among the earlier vectors")
        check_chain(entry, predecessor)
        report.ok(file, name, "links to its predecessor (§7.2)", True)
    except Invalid as err:
        report.ok(file, name, "links to its predecessor (§7.2)", False, str(err))


# ---------------------------------------------------------------------------
# invalid-entries.json: each entry is rejected with the stated code and field
# ---------------------------------------------------------------------------

def check_invalid_file(report: Report, file: str, data: Dict[str, Any]) -> None:
    for v in data["vectors"]:
        name = v.get("name", "?")
        guarded(report, file, name,
                functools.partial(check_invalid_vector, report, file, name, v))


def check_invalid_vector(report: Report, file: str, name: str, v: Dict[str, Any]) -> None:
    expected = f"{v['error']} ({v['field']})"
    try:
        decode_entry(bytes.fromhex(v["entryHex"]))
        actual = "accepted"
    except Invalid as err:
        actual = f"{err.code} ({err.field})"
    report.same(file, name, "rejected with code (field) (§7.1)", expected, actual)


# ---------------------------------------------------------------------------
# sealed-entries.json: verify, open with every recipient, not with the others
# ---------------------------------------------------------------------------

def check_sealed_file(report: Report, file: str, data: Dict[str, Any]) -> None:
    chain: Dict[bytes, Entry] = {}
    for v in data["vectors"]:
        name = v.get("name", "?")
        guarded(report, file, name,
                functools.partial(check_sealed_vector, report, file, name, v, chain))


def check_sealed_vector(report: Report, file: str, name: str, v: Dict[str, Any],
                        chain: Dict[bytes, Entry]) -> None:
    raw = bytes.fromhex(v["entryHex"])
    report.same(file, name, "id (§3.3)", v.get("id"), sha256(raw).hex())
    entry = check_valid_and_linked(report, file, name, raw, chain)
    if entry is None:
        return
    if entry.body_type != SEALED:
        report.ok(file, name, "body type is sealed (5)", False, f"body type {entry.body_type}")
        return
    for i, seed_hex in enumerate(v["recipientSeeds"]):
        what = f"recipient {i} opens it (§6.2)"
        try:
            inner_type, inner_body, _ = open_sealed(entry, bytes.fromhex(seed_hex))
            expected = {"innerBodyType": v.get("innerBodyType"),
                        "innerBodyHex": v.get("innerBodyHex")}
            actual = {"innerBodyType": inner_type, "innerBodyHex": inner_body.hex()}
            report.same(file, name, what, expected, actual)
        except Unreadable as err:
            report.ok(file, name, what, False, str(err))
    try:
        open_sealed(entry, bytes.fromhex(v["nonRecipientSeed"]))
        report.ok(file, name, "non-recipient cannot open it (§6.2)", False, "it opened")
    except Unreadable:
        report.ok(file, name, "non-recipient cannot open it (§6.2)", True)


# ---------------------------------------------------------------------------
# member-ids.json (§2.2)
# ---------------------------------------------------------------------------

def check_member_ids_file(report: Report, file: str, data: Dict[str, Any]) -> None:
    for v in data["valid"]:
        name = v.get("memberID", "?")
        guarded(report, file, name,
                functools.partial(check_valid_member_id, report, file, name, v))
    for v in data["invalid"]:
        name = repr(v.get("text", "?"))
        guarded(report, file, name,
                functools.partial(check_invalid_member_id, report, file, name, v))


def check_valid_member_id(report: Report, file: str, name: str, v: Dict[str, Any]) -> None:
    key = bytes.fromhex(v["publicKey"])
    report.same(file, name, "encode(publicKey)", v["memberID"], encode_member_id(key))
    for spelling in [v["memberID"]] + v["alternateSpellings"]:
        try:
            parsed = parse_member_id(spelling).hex()
        except MemberIDError as err:
            parsed = f"invalid-member-id ({err})"
        report.same(file, name, f"parse({spelling!r})", v["publicKey"], parsed)


def check_invalid_member_id(report: Report, file: str, name: str, v: Dict[str, Any]) -> None:
    try:
        key = parse_member_id(v["text"])
        report.ok(file, name, f"rejected ({v.get('why', '')})", False, f"parsed as {key.hex()}")
    except MemberIDError:
        report.ok(file, name, "rejected", True)


# ---------------------------------------------------------------------------
# merge.json and scenarios.json (§7.3, §8)
# ---------------------------------------------------------------------------

def check_merge_file(report: Report, file: str, data: Dict[str, Any]) -> None:
    check_merge_scenario(report, file, "", data, read_seed=None)  # merge.json: no read key


def check_scenarios_file(report: Report, file: str, data: Dict[str, Any]) -> None:
    scenarios = data["scenarios"]
    report.ok(file, "scenarios", "at least one scenario", bool(scenarios))
    for i, scenario in enumerate(scenarios):
        name = str(scenario.get("name", f"#{i}")) if isinstance(scenario, dict) else f"#{i}"
        guarded(report, file, name,
                functools.partial(check_scenario, report, file, name, scenario))


def check_scenario(report: Report, file: str, name: str, scenario: Dict[str, Any]) -> None:
    """One scenario, like merge.json, on its own empty node whose key k (§8.1) is the
    optional `readerSeed`: sealed entries it opens (§6.2) are applied, the others are
    unreadable (§8.9)."""
    seed_hex = scenario.get("readerSeed")
    read_seed = None if seed_hex is None else bytes.fromhex(seed_hex)
    if read_seed is not None and len(read_seed) != 32:
        raise ValueError(f"readerSeed of {len(read_seed)} bytes, expected 32")
    check_merge_scenario(report, file, name + " ", scenario, read_seed)


def check_merge_scenario(report: Report, file: str, prefix: str, data: Dict[str, Any],
                         read_seed: Optional[bytes] = None) -> None:
    """Deliver `entries` in order to an empty node reading with `read_seed` (§7.3) and
    compare outcomes, signals, equivocators, digest lines and digest (§8). `prefix`
    (a scenario name and a space, or empty) starts every vector label."""
    node = Node(read_seed=read_seed)
    outcomes = data["outcomes"]
    if not report.same(file, prefix + "outcomes", "one outcome per delivery",
                       len(data["entries"]), len(outcomes)):
        return
    for i, (entry_hex, expected) in enumerate(zip(data["entries"], outcomes)):
        raw = bytes.fromhex(entry_hex)
        actual = {"entry": sha256(raw).hex(), "outcome": node.deliver(raw)}
        report.same(file, f"{prefix}delivery #{i}", "entry id and outcome (§7.3)",
                    expected, actual)
    state = node.state()
    check_merge_signals(report, file, prefix, data["signals"], state)
    report.same(file, prefix + "equivocators", "authors (§8.7)", sorted(data["equivocators"]),
                sorted(a.hex() for a in state.equivocators))
    report.same(file, prefix + "digestLines", "sorted lines (§8.10)", data["digestLines"],
                state.digest_lines())
    report.same(file, prefix + "digest", "state digest (§8.10)", data["digest"], state.digest())


def check_merge_signals(report: Report, file: str, prefix: str, expected: List[Dict[str, Any]],
                        state: State) -> None:
    report.same(file, prefix + "signals", "signal IDs (§8.3)", sorted(s["id"] for s in expected),
                sorted(i.hex() for i in state.signals))
    for want in expected:
        signal = state.signals.get(bytes.fromhex(want["id"]))
        if signal is None:
            continue  # already reported by the ID comparison
        got = {"id": signal.id.hex(), "kind": signal.fields["kind"],
               "value": signal.fields["value"], "verdict": signal.verdict}
        if signal.retracted_by is not None:
            got["retractedBy"] = signal.retracted_by.hex()
        report.same(file, f"{prefix}signal {want['id'][:16]}",
                    "kind, value, retractedBy, verdict (§8.3-§8.6)", want, got)


# ---------------------------------------------------------------------------
# --export FILE: verify a JSONL export (§9)
# ---------------------------------------------------------------------------

EXPORT_KEYS = ("author", "entry", "id", "seq", "type")  # §9, in the writer's (sorted) order
TYPE_NAMES = {PUBLISH: "publish", RETRACT: "retract", OPINION: "opinion",
              ROTATION: "key-rotation", SEALED: "sealed"}  # §4.2 "Export name"
HEX64_RE = re.compile(r"[0-9a-fA-F]{64}")
U64_MAX = 2**64 - 1


def export_type_name(body_type: int) -> str:
    """§4.2 / §9: the name of a body type in an export; unknown types are `type-N`."""
    return TYPE_NAMES.get(body_type, f"type-{body_type}")


class JSONNonInteger:
    """A JSON number with a fraction or exponent, kept as its text: `seq` must be an
    unsigned 64-bit integer, never read through a double (§9)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def json_type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    for kind, name in ((dict, "object"), (list, "array"), (str, "string"),
                       ((int, JSONNonInteger), "number")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def json_object_no_duplicates(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    obj: Dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {key!r}")
        obj[key] = value
    return obj


def json_reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_export_json(text: str) -> Any:
    return json.loads(text, object_pairs_hook=json_object_no_duplicates,
                      parse_float=JSONNonInteger, parse_constant=json_reject_constant)


@dataclass
class ExportLine:
    number: int  # 1-based line number in the file
    failures: List[str] = field(default_factory=list)
    raw_id: Optional[bytes] = None  # SHA-256 of the decoded `entry` bytes (§3.3)
    stated_id: Optional[bytes] = None  # the `id` key, when it is 64 hex digits
    entry: Optional[Entry] = None  # set when the entry is intrinsically valid (§7.1)


def check_export_line(number: int, data: bytes, terminated: bool) -> ExportLine:
    """The checks of one line that need no other line: §9 steps 2-7."""
    line = ExportLine(number)
    fail = line.failures.append
    if not terminated:
        fail("line not terminated by \\n (§9); truncated export?")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        fail(f"not UTF-8 text (§9): {err.reason} at byte {err.start}")
        return line
    try:
        obj = parse_export_json(text)
    except (ValueError, RecursionError) as err:
        fail(f"not valid JSON (§9): {err}")
        return line
    if not isinstance(obj, dict):
        fail(f"not a JSON object (§9) but a JSON {json_type_name(obj)}")
        return line
    missing = [key for key in EXPORT_KEYS if key not in obj]
    if missing:
        fail(f"missing key{'s' if len(missing) > 1 else ''} {', '.join(missing)} (§9)")
    strings = {}
    for key in ("author", "entry", "id", "type"):
        if key in obj:
            if isinstance(obj[key], str):
                strings[key] = obj[key]
            else:
                fail(f"{key}: a JSON {json_type_name(obj[key])}, not a string (§9)")
    seq: Optional[int] = None
    if "seq" in obj:
        value = obj["seq"]
        if isinstance(value, bool) or not isinstance(value, int):
            fail(f"seq: {value!r} is not a JSON integer (§9)" if isinstance(value, JSONNonInteger)
                 else f"seq: a JSON {json_type_name(value)}, not a number (§9)")
        elif not 0 <= value <= U64_MAX:
            fail(f"seq: {value} is not an unsigned 64-bit integer (§9)")
        else:
            seq = value
    if "id" in strings and not HEX64_RE.fullmatch(strings["id"]):
        fail("id: not 64 hex digits (§9)")
        del strings["id"]
    elif "id" in strings and strings["id"] != strings["id"].lower():
        fail("id: not lowercase hex (§9, §1.2)")
    if "id" in strings:
        line.stated_id = bytes.fromhex(strings["id"])
    if "entry" not in strings:
        return line
    try:
        raw = base64.b64decode(strings["entry"], validate=True)
    except (binascii.Error, ValueError) as err:
        fail(f"entry: not standard base64 with padding (§9): {err}")
        return line
    if base64.b64encode(raw).decode("ascii") != strings["entry"]:
        fail("entry: non-canonical base64 (non-zero padding bits) (§9)")
    check_export_entry(line, raw, strings, seq)
    return line


def check_export_entry(line: ExportLine, raw: bytes, strings: Dict[str, str],
                       seq: Optional[int]) -> None:
    """§9 steps 3-7 on the decoded entry: intrinsic validity (§7.1: frame, strict
    signature, body and rotation rules, via decode_entry), entry ID (§3.3) and the
    convenience keys author, seq and type against the header (§3.1)."""
    fail = line.failures.append
    line.raw_id = sha256(raw)
    try:
        line.entry = decode_entry(raw)
    except Invalid as err:
        fail(f"entry: invalid (§7.1): {err}")
    if "id" in strings and strings["id"].lower() != line.raw_id.hex():
        fail(f"id: the entry hashes to {line.raw_id.hex()} (§3.3), not the stated id")
    if len(raw) < HEADER_LEN:
        return  # no header to compare with (the frame failure is reported above)
    _, author_key, header_seq, _, _, body_type, _ = struct.unpack_from(HEADER_FORMAT, raw)
    if "author" in strings:
        try:
            named = parse_member_id(strings["author"])
            canonical = encode_member_id(author_key)
            if named != author_key:
                fail(f"author: names key {named.hex()}, the entry's author is "
                     f"{author_key.hex()} ({canonical})")
            elif strings["author"] != canonical:
                fail(f"author: not the canonical member ID with dashes (§9): expected {canonical}")
        except MemberIDError as err:
            fail(f"author: not a member ID (§2.2): invalid-member-id ({err})")
    if seq is not None and seq != header_seq:
        fail(f"seq: {seq}, the entry's header has seq {header_seq}")
    if "type" in strings and strings["type"] != export_type_name(body_type):
        fail(f"type: {strings['type']!r}, the entry's body type {body_type} is "
             f"{export_type_name(body_type)!r} (§4.2)")


def check_export_chains(lines: List[ExportLine]) -> None:
    """§9 step 8 and §7.2: in file order, every entry with seq > 1 links to a valid entry
    of an earlier line. An entry is valid (joins E) when it is intrinsically valid and
    links; a wrong convenience key fails its line but not the entry's successors."""
    first_line: Dict[bytes, int] = {}  # entry ID -> first line holding those bytes
    stated: Dict[bytes, int] = {}  # `id` key -> first line stating it (for diagnostics)
    for line in lines:
        if line.raw_id is not None:
            first_line.setdefault(line.raw_id, line.number)
        if line.stated_id is not None:
            stated.setdefault(line.stated_id, line.number)
    unreadable = [line.number for line in lines if line.raw_id is None and line.stated_id is None]
    valid: Dict[bytes, Tuple[int, Entry]] = {}  # E so far: ID -> (line, entry)
    for line in lines:
        if line.raw_id is None:
            continue
        first = first_line[line.raw_id]
        if first != line.number:
            line.failures.append(f"duplicate of line {first} (same entry ID; "
                                 "an export lists each stored entry once)")
            continue
        entry = line.entry
        if entry is None:
            continue
        if entry.seq > 1:
            found = valid.get(entry.prev)
            if found is None:
                line.failures.append(missing_predecessor(line.number, entry, first_line, stated,
                                                         unreadable))
                continue
            try:
                check_chain(entry, found[1])
            except Invalid as err:
                line.failures.append(f"chain (§7.2): with line {found[0]}: {err}")
                continue
        valid[entry.id] = (line.number, entry)


def missing_predecessor(number: int, entry: Entry, first_line: Dict[bytes, int],
                        stated: Dict[bytes, int], unreadable: List[int]) -> str:
    """Why an entry's predecessor is not a valid entry of an earlier line. `stated` maps
    the `id` keys to lines and `unreadable` lists the lines without entry or id: either
    may be where a damaged predecessor was."""
    prev = f"predecessor {entry.prev.hex()} (seq {entry.seq - 1})"
    where = first_line.get(entry.prev)
    if where is None and entry.prev in stated:
        return (f"chain (§7.2): {prev} is the id stated on line {stated[entry.prev]}, "
                f"whose entry did not verify, so this entry cannot be valid")
    if where is None:
        earlier = [n for n in unreadable if n < number]
        hint = ""
        if earlier:
            shown = ", ".join(str(n) for n in earlier[-3:])
            hint = f" (unless it was on unreadable line{'s' if len(earlier) > 1 else ''} {shown})"
        return (f"chain (§7.2): {prev} is not in the export{hint}; the entry would be "
                f"pending (§7.3), and an export holds only valid entries (§9)")
    if where > number:
        return (f"order (§9): {prev} is on line {where}, after this line; "
                f"predecessors must come first")
    return f"chain (§7.2): {prev} on line {where} did not verify, so this entry cannot be valid"


class ExportReport:
    """Counts lines; prints one line per failing check."""

    def __init__(self, verbose: bool = False):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose

    def line(self, line: ExportLine) -> None:
        if line.failures:
            self.failed += 1
            for failure in line.failures:
                print(f"FAIL line {line.number}: {failure}")
        else:
            self.passed += 1
            if self.verbose:
                print(f"ok   line {line.number}")

    def summary(self) -> str:
        return f"export: {self.passed} passed, {self.failed} failed"


def run_export(data: bytes, verbose: bool = False) -> ExportReport:
    """Verify a whole export (§9 "Verifying an export", steps 1-8). Lines are split at
    \\n, trimmed of white space, and empty lines are skipped (and not counted)."""
    segments = data.split(b"\n")
    lines = []
    for i, segment in enumerate(segments):
        # Step 1: JSON's white space only (space, tab, CR, LF).
        trimmed = segment.strip(b" \t\r\n")
        if not trimmed:
            continue
        lines.append(check_export_line(i + 1, trimmed, terminated=i < len(segments) - 1))
    check_export_chains(lines)
    report = ExportReport(verbose)
    for line in lines:
        report.line(line)
    return report


# ---------------------------------------------------------------------------
# labels.json (§5.4, §5.6 rule 6)
# ---------------------------------------------------------------------------

# §5.6 rule 6: the 25 White_Space code points (not str.isspace()).
WHITE_SPACE = frozenset([*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                         0x2028, 0x2029, 0x202F, 0x205F, 0x3000])


# §5.6 rule 5: the repertoire is Unicode 15.0. Code points assigned after Unicode 14.0, with the
# version that assigned them (from DerivedAge.txt), so that this check gives the Unicode 15.0
# answer whatever version Python's unicodedata has (3.11 has 14.0, 3.13 has 15.1, 3.14 16.0).
ASSIGNED_AFTER_14 = [
    (0x88F, 0x88F, "17.0"), (0x897, 0x897, "16.0"), (0xC5C, 0xC5C, "17.0"), (0xCDC, 0xCDC, "17.0"), 
    (0xCF3, 0xCF3, "15.0"), (0xECE, 0xECE, "15.0"), (0x1ACF, 0x1ADD, "17.0"), 
    (0x1AE0, 0x1AEB, "17.0"), (0x1B4E, 0x1B4F, "16.0"), (0x1B7F, 0x1B7F, "16.0"), 
    (0x1C89, 0x1C8A, "16.0"), (0x20C1, 0x20C1, "17.0"), (0x2427, 0x2429, "16.0"), 
    (0x2B96, 0x2B96, "17.0"), (0x2FFC, 0x2FFF, "15.1"), (0x31E4, 0x31E5, "16.0"), 
    (0x31EF, 0x31EF, "15.1"), (0xA7CB, 0xA7CD, "16.0"), (0xA7CE, 0xA7CF, "17.0"), 
    (0xA7D2, 0xA7D2, "17.0"), (0xA7D4, 0xA7D4, "17.0"), (0xA7DA, 0xA7DC, "16.0"), 
    (0xA7F1, 0xA7F1, "17.0"), (0xFBC3, 0xFBD2, "17.0"), (0xFD90, 0xFD91, "17.0"), 
    (0xFDC8, 0xFDCE, "17.0"), (0x105C0, 0x105F3, "16.0"), (0x10940, 0x10959, "17.0"), 
    (0x10D40, 0x10D65, "16.0"), (0x10D69, 0x10D85, "16.0"), (0x10D8E, 0x10D8F, "16.0"), 
    (0x10EC2, 0x10EC4, "16.0"), (0x10EC5, 0x10EC7, "17.0"), (0x10ED0, 0x10ED8, "17.0"), 
    (0x10EFA, 0x10EFB, "17.0"), (0x10EFC, 0x10EFC, "16.0"), (0x10EFD, 0x10EFF, "15.0"), 
    (0x1123F, 0x11241, "15.0"), (0x11380, 0x11389, "16.0"), (0x1138B, 0x1138B, "16.0"), 
    (0x1138E, 0x1138E, "16.0"), (0x11390, 0x113B5, "16.0"), (0x113B7, 0x113C0, "16.0"), 
    (0x113C2, 0x113C2, "16.0"), (0x113C5, 0x113C5, "16.0"), (0x113C7, 0x113CA, "16.0"), 
    (0x113CC, 0x113D5, "16.0"), (0x113D7, 0x113D8, "16.0"), (0x113E1, 0x113E2, "16.0"), 
    (0x116D0, 0x116E3, "16.0"), (0x11B00, 0x11B09, "15.0"), (0x11B60, 0x11B67, "17.0"), 
    (0x11BC0, 0x11BE1, "16.0"), (0x11BF0, 0x11BF9, "16.0"), (0x11DB0, 0x11DDB, "17.0"), 
    (0x11DE0, 0x11DE9, "17.0"), (0x11F00, 0x11F10, "15.0"), (0x11F12, 0x11F3A, "15.0"), 
    (0x11F3E, 0x11F59, "15.0"), (0x11F5A, 0x11F5A, "16.0"), (0x1342F, 0x1342F, "15.0"), 
    (0x13439, 0x13455, "15.0"), (0x13460, 0x143FA, "16.0"), (0x16100, 0x16139, "16.0"), 
    (0x16D40, 0x16D79, "16.0"), (0x16EA0, 0x16EB8, "17.0"), (0x16EBB, 0x16ED3, "17.0"), 
    (0x16FF2, 0x16FF6, "17.0"), (0x187F8, 0x187FF, "17.0"), (0x18CFF, 0x18CFF, "16.0"), 
    (0x18D09, 0x18D1E, "17.0"), (0x18D80, 0x18DF2, "17.0"), (0x1B132, 0x1B132, "15.0"), 
    (0x1B155, 0x1B155, "15.0"), (0x1CC00, 0x1CCF9, "16.0"), (0x1CCFA, 0x1CCFC, "17.0"), 
    (0x1CD00, 0x1CEB3, "16.0"), (0x1CEBA, 0x1CED0, "17.0"), (0x1CEE0, 0x1CEF0, "17.0"), 
    (0x1D2C0, 0x1D2D3, "15.0"), (0x1DF25, 0x1DF2A, "15.0"), (0x1E030, 0x1E06D, "15.0"), 
    (0x1E08F, 0x1E08F, "15.0"), (0x1E4D0, 0x1E4F9, "15.0"), (0x1E5D0, 0x1E5FA, "16.0"), 
    (0x1E5FF, 0x1E5FF, "16.0"), (0x1E6C0, 0x1E6DE, "17.0"), (0x1E6E0, 0x1E6F5, "17.0"), 
    (0x1E6FE, 0x1E6FF, "17.0"), (0x1F6D8, 0x1F6D8, "17.0"), (0x1F6DC, 0x1F6DC, "15.0"), 
    (0x1F774, 0x1F776, "15.0"), (0x1F777, 0x1F77A, "17.0"), (0x1F77B, 0x1F77F, "15.0"), 
    (0x1F7D9, 0x1F7D9, "15.0"), (0x1F8B2, 0x1F8BB, "16.0"), (0x1F8C0, 0x1F8C1, "16.0"), 
    (0x1F8D0, 0x1F8D8, "17.0"), (0x1FA54, 0x1FA57, "17.0"), (0x1FA75, 0x1FA77, "15.0"), 
    (0x1FA87, 0x1FA88, "15.0"), (0x1FA89, 0x1FA89, "16.0"), (0x1FA8A, 0x1FA8A, "17.0"), 
    (0x1FA8E, 0x1FA8E, "17.0"), (0x1FA8F, 0x1FA8F, "16.0"), (0x1FAAD, 0x1FAAF, "15.0"), 
    (0x1FABB, 0x1FABD, "15.0"), (0x1FABE, 0x1FABE, "16.0"), (0x1FABF, 0x1FABF, "15.0"), 
    (0x1FAC6, 0x1FAC6, "16.0"), (0x1FAC8, 0x1FAC8, "17.0"), (0x1FACD, 0x1FACD, "17.0"), 
    (0x1FACE, 0x1FACF, "15.0"), (0x1FADA, 0x1FADB, "15.0"), (0x1FADC, 0x1FADC, "16.0"), 
    (0x1FADF, 0x1FADF, "16.0"), (0x1FAE8, 0x1FAE8, "15.0"), (0x1FAE9, 0x1FAE9, "16.0"), 
    (0x1FAEA, 0x1FAEA, "17.0"), (0x1FAEF, 0x1FAEF, "17.0"), (0x1FAF7, 0x1FAF8, "15.0"), 
    (0x1FBCB, 0x1FBEF, "16.0"), (0x1FBFA, 0x1FBFA, "17.0"), (0x2B739, 0x2B739, "15.0"), 
    (0x2B73A, 0x2B73F, "17.0"), (0x2CEA2, 0x2CEAD, "17.0"), (0x2EBF0, 0x2EE5D, "15.1"), 
    (0x31350, 0x323AF, "15.0"), (0x323B0, 0x33479, "17.0")
]


def assigned_in_15_0(c: str) -> bool:
    cp = ord(c)
    for first, last, version in ASSIGNED_AFTER_14:
        if first <= cp <= last:
            return version == "15.0"
    return unicodedata.category(c) != "Cn"


def outside_repertoire(text: str) -> bool:
    return not all(assigned_in_15_0(c) for c in text)


class LabelRejected(Exception):
    pass


def canonical_labels(raw: List[str]) -> List[str]:
    """§5.4 (after §5.6 rule 5's repertoire check): trim White_Space, per-code-point lowercase, NFC, drop empty, reject over 64
    bytes or with a Cc code point; de-duplicate by bytes, at most 32, sort by bytes."""
    seen: set = set()
    out: List[bytes] = []
    for label in raw:
        if outside_repertoire(label):
            raise LabelRejected("a code point not assigned in Unicode 15.0")
        start, end = 0, len(label)
        while start < end and ord(label[start]) in WHITE_SPACE:
            start += 1
        while end > start and ord(label[end - 1]) in WHITE_SPACE:
            end -= 1
        # Per code point: str.lower() on one code point never applies Final_Sigma.
        text = unicodedata.normalize("NFC", "".join(c.lower() for c in label[start:end]))
        if not text:
            continue
        data = text.encode("utf-8")
        if len(data) > 64:
            raise LabelRejected("a label longer than 64 bytes")
        if any(is_control(c) for c in text):
            raise LabelRejected("a control code point")
        if data not in seen:
            seen.add(data)
            out.append(data)
    if len(out) > 32:
        raise LabelRejected("more than 32 labels")
    return [d.decode("utf-8") for d in sorted(out)]


class Rejected:
    """A publish rule's rejection, as a case result (the wording is informative)."""

    def __init__(self, why: str) -> None:
        self.why = why

    def __repr__(self) -> str:
        return f"rejected ({self.why})"


def check_publish_rule_cases(report: Report, file: str, data: Dict[str, Any], rule: Callable[[Any], Any], what: str) -> None:
    """labels.json and trends.json: each case's input gives its canonical form, compared as
    UTF-8, or is rejected."""
    def utf8(value: Any) -> Any:
        if isinstance(value, str):
            return value.encode("utf-8")
        return [utf8(v) for v in value] if isinstance(value, list) else value
    for case in data["cases"]:
        try:
            got: Any = rule(case["input"])
        except LabelRejected as err:
            got = Rejected(str(err))
        if "reject" in case:
            report.ok(file, case["name"], f"rejected ({case['reject']})", isinstance(got, Rejected), f"canonical {got!r}")
        else:
            report.same(file, case["name"], what, utf8(case["canonical"]), got if isinstance(got, Rejected) else utf8(got))


def check_labels_file(report: Report, file: str, data: Dict[str, Any]) -> None:
    check_publish_rule_cases(report, file, data, canonical_labels, "canonical labels")


def canonical_trend(text: str) -> str:
    """§5.8 with §5.6 rule 5; raises LabelRejected (the wording is informative)."""
    if outside_repertoire(text):
        raise LabelRejected("a code point not assigned in Unicode 15.0")
    # str.lower() is the full lowercase with Final_Sigma (§5.6 rule 6).
    x = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).lower())
    out: List[str] = []
    space = False
    for c in x:
        if ord(c) in WHITE_SPACE:
            space = bool(out)
            continue
        if space:
            out.append(" ")
            space = False
        out.append(c)
    x = "".join(out)
    if any(is_control(c) for c in x):
        raise LabelRejected("a control code point")
    if not x:
        raise LabelRejected("empty")
    if x.startswith("#") and (x == "#" or x[1] == " " or " " in x):
        raise LabelRejected("a hashtag with a space, or # alone")
    if not any(unicodedata.category(c) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Nd") for c in x):
        raise LabelRejected("no letter or digit")
    if len(x.encode("utf-8")) > 256:
        raise LabelRejected("longer than 256 bytes")
    return x


def check_trends_file(report: Report, file: str, data: Dict[str, Any]) -> None:
    check_publish_rule_cases(report, file, data, canonical_trend, "canonical trend")


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

CHECKERS = [
    ("member-ids.json", check_member_ids_file),
    ("entries.json", check_entries_file),
    ("invalid-entries.json", check_invalid_file),
    ("sealed-entries.json", check_sealed_file),
    ("merge.json", check_merge_file),
    ("scenarios.json", check_scenarios_file),
    ("labels.json", check_labels_file),
    ("trends.json", check_trends_file),
]


def run(vectors_dir: Path, verbose: bool = False) -> Report:
    report = Report(verbose)
    for file, checker in CHECKERS:
        try:
            data = json.loads((vectors_dir / file).read_text(encoding="utf-8"))
            checker(report, file, data)
        except (OSError, ValueError, KeyError, TypeError) as err:
            report.ok(file, "-", "file could be read and checked", False,
                      f"{type(err).__name__}: {err}")
    return report


def read_export(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    return Path(path).read_bytes()


def main(argv: Optional[List[str]] = None) -> int:
    default_dir = Path(__file__).resolve().parent.parent / "test-vectors"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=Path, default=None, metavar="DIR",
                        help=f"directory of the vector files (default: {default_dir})")
    parser.add_argument("--export", metavar="FILE",
                        help="instead of the vectors, verify a JSONL export written by "
                             "'coalition export' (SPEC §9); - reads standard input")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="also list passing checks (with --export: passing lines)")
    args = parser.parse_args(argv)
    if args.export is not None:
        if args.vectors is not None:
            parser.error("--vectors and --export cannot be combined")
        try:
            data = read_export(args.export)
        except OSError as err:
            print(f"verify_vectors.py: cannot read {args.export}: {err.strerror or err}",
                  file=sys.stderr)
            return 2
        export_report = run_export(data, args.verbose)
        print(export_report.summary())
        return 0 if export_report.failed == 0 else 1
    report = run(args.vectors or default_dir, args.verbose)
    print(report.summary())
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
