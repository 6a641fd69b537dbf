#!/usr/bin/env python3
"""An independent verifier of Ordo's audit log exports (ordo-audit-export-1).

It follows the procedure in the README's "Audit log" section, written
from it rather than from the Go code, with Python's standard library
only. Usage: verify_export.py EXPORT.jsonl [PUBLIC_KEY_BASE64]

Exit 0 and "ok" when the export is intact; exit 1 and
"audit chain broken at seq N: KIND [entry ID]" naming the first entry
edited, deleted, inserted or reordered (or a bad checkpoint or retention
cut).
"""
import base64
import hashlib
import json
import sys

# --- Ed25519 verification, after RFC 8032 section 6 -------------------------
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 % P == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def _add(p, q):
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, p):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, p)
        p = _add(p, p)
        s >>= 1
    return q


def _equal(p, q):
    return (p[0] * q[2] - q[0] * p[2]) % P == 0 and (p[1] * q[2] - q[1] * p[2]) % P == 0


def _decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


_GY = 4 * pow(5, P - 2, P) % P
_GX = _recover_x(_GY, 0)
_G = (_GX, _GY, 1, _GX * _GY % P)


def ed25519_verify(public, msg, sig):
    if len(public) != 32 or len(sig) != 64:
        return False
    a = _decompress(public)
    r = _decompress(sig[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(sig[32:], "little")
    if s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(sig[:32] + public + msg).digest(), "little") % L
    return _equal(_mul(s, _G), _add(r, _mul(h, a)))


# --- the chain ---------------------------------------------------------------
def canonical(e):
    return json.dumps(["ordo-audit-1", e["seq"], e["tenant_id"], e["id"], e["created_at"], e["actor_type"],
                       e["actor_id"], e["actor_name"], e["actor_email"], e["action"], e["entity_type"],
                       e["entity_id"], e["order_id"], e["ip"], e["user_agent"], e["request_id"], e["metadata"]],
                      ensure_ascii=False).encode("utf-8")


def entry_hash(e):
    prev = bytes.fromhex(e["prev_hash"] or "")
    return hashlib.sha256(prev + canonical(e)).hexdigest()


class Broken(Exception):
    def __init__(self, seq, kind, entry=None):
        super().__init__("audit chain broken at seq %d: %s%s" % (seq, kind, " entry " + entry if entry else ""))


def verify(lines, public):
    header = lines[0]
    if header.get("type") != "header" or header.get("format") != "ordo-audit-export-1":
        raise ValueError("not an ordo-audit-export-1 file")
    if public is None:
        public = base64.b64decode(header["public_key"])
    entries = [x for x in lines[1:] if x["type"] == "entry"]
    checkpoints = [x for x in lines[1:] if x["type"] == "checkpoint"]
    cuts = [x for x in lines[1:] if x["type"] == "cut"]

    def signed(tag, c):
        msg = json.dumps([tag, header["tenant_id"], c["seq"], c["hash"], c["signed_at"]],
                         ensure_ascii=False).encode("utf-8")
        return ed25519_verify(public, msg, bytes.fromhex(c["signature"]))

    # A retention cut: the chain starts after it, from its hash.
    cut = None
    for c in cuts:
        if not signed("ordo-audit-cut-1", c):
            raise Broken(c["seq"], "checkpoint")
        if cut is None or c["seq"] > cut["seq"]:
            cut = c
    entries.sort(key=lambda e: e["seq"])  # stable: the chain's order is seq's
    unchained = [e for e in entries if e["seq"] == 0]
    chain = [e for e in entries if e["seq"] != 0]
    for e in unchained:
        if cut is not None or (chain and e["created_at"] > chain[0]["created_at"]):
            raise Broken(0, "inserted", e["id"])
    prev_seq, prev_hash = 0, "00" * 32
    hashes = {}
    if cut is not None:
        prev_seq, prev_hash = cut["seq"], cut["hash"]
        hashes[cut["seq"]] = cut["hash"]
    for j, e in enumerate(chain):
        want = prev_seq + 1
        ok = entry_hash(e) == e["hash"]
        linked = e["prev_hash"] == prev_hash
        if e["seq"] < want and j == 0:
            raise Broken(e["seq"], "inserted", e["id"])
        if e["seq"] < want:
            before = chain[j - 1]
            bad = e
            if ok and e["prev_hash"] == before["prev_hash"] and j + 1 < len(chain) and chain[j + 1]["prev_hash"] == e["hash"]:
                bad = before
            raise Broken(e["seq"], "inserted", bad["id"])
        if e["seq"] > want:
            raise Broken(want, "deleted", e["id"])
        if not ok and not linked:
            raise Broken(e["seq"], "reordered", e["id"])
        if not ok:
            raise Broken(e["seq"], "edited", e["id"])
        if not linked:
            raise Broken(e["seq"], "inserted", e["id"])
        prev_seq, prev_hash = e["seq"], e["hash"]
        hashes[e["seq"]] = e["hash"]
    head = header["head"]
    if head["seq"] > prev_seq:
        raise Broken(prev_seq + 1, "deleted")
    if head["seq"] < prev_seq:
        raise Broken(head["seq"] + 1, "inserted")
    if head["seq"] > 0 and head["hash"] != prev_hash:
        raise Broken(head["seq"], "edited")
    for c in checkpoints:
        if not signed("ordo-audit-checkpoint-1", c):
            raise Broken(c["seq"], "checkpoint")
        if cut is not None and c["seq"] < cut["seq"]:
            continue  # it pins an entry retention pruned
        if c["seq"] not in hashes:
            raise Broken(c["seq"], "deleted")
        if hashes[c["seq"]] != c["hash"]:
            raise Broken(c["seq"], "checkpoint")
    return len(chain), len(checkpoints) + len(cuts)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = [json.loads(l) for l in f if l.strip()]
    public = base64.b64decode(sys.argv[2]) if len(sys.argv) > 2 else None
    try:
        n, c = verify(lines, public)
    except Broken as b:
        print(b)
        return 1
    print("ok: %d entries chained, %d checkpoints" % (n, c))
    return 0


if __name__ == "__main__":
    sys.exit(main())
