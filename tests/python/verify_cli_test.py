#!/usr/bin/python3
"""`coalctl verify` against a live devnet (run by verify_cli_test.sh).

Proofs fetched from the devnet verify (saved and live); each tampered part of an answer (leaf,
proof, root, size, cosignature) fails with its own reason; a checkpoint with fewer than 2f+1
validator cosignatures or with a non-validator key is refused; a checkpoint of the same size with
another root (cosigned by colluding validator keys) is reported as a fork against the state file;
a newer checkpoint is checked for consistency with the last verified one.
Exit code 0 only when every case behaves.
"""

import argparse
import base64
import copy
import json
import os
import pathlib
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coal_client  # noqa: E402  (the independent note and key code)

DEADLINE_S = 60.0


class Case:
    def __init__(self, args):
        self.coalctl = args.coalctl
        self.node = args.node
        self.devnet = pathlib.Path(args.devnet)
        self.genesis = str(self.devnet / "genesis.toml")
        self.work = pathlib.Path(args.work)
        self.failures = []
        self.passed = 0

    def ctl(self, *argv, check=True):
        cmd = [self.coalctl, "--node", self.node, *argv]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=DEADLINE_S)
        if check and p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
        return p

    def ctl_json(self, *argv):
        return json.loads(self.ctl("--json", *argv).stdout)

    def verify(self, answer, state=None, offline=True):
        path = self.work / f"answer-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(answer))
        argv = ["verify", "--genesis", self.genesis, "--answer", str(path)]
        argv += ["--state", str(state)] if state else ["--no-state"]
        if offline:
            argv.append("--offline")
        return self.ctl(*argv, check=False)

    def check(self, name, good, detail):
        if good:
            self.passed += 1
            print(f"  ok   {name}")
        else:
            self.failures.append(name)
            print(f"  FAIL {name}: {detail}")

    def expect(self, name, p, ok, reason=None):
        good = (p.returncode == 0) == ok and (reason is None or reason in p.stderr)
        if good:
            self.passed += 1
            print(f"  ok   {name}")
        else:
            self.failures.append(name)
            print(f"  FAIL {name}: exit {p.returncode}, stderr {p.stderr.strip()!r}, "
                  f"wanted {'success' if ok else repr(reason)}")


def submit(case, subject):
    r = case.ctl_json("--key", str(case.devnet / "keys" / "cloud-a.key"), "submit", "--type",
                      "Attestation", "--payload", json.dumps({"subject": subject}), "--wait")
    if not r["committed"] or not r["accepted"]:
        raise RuntimeError(f"submit {subject}: {r}")
    return int(r["log_index"])


def checkpoint_covering(case, index):
    end = time.monotonic() + DEADLINE_S
    while time.monotonic() < end:
        p = case.ctl("--json", "checkpoint", check=False)
        if p.returncode == 0:
            cp = json.loads(p.stdout)
            if int(cp["size"]) > index:
                return cp
        time.sleep(0.1)
    raise RuntimeError(f"no quorum checkpoint covering index {index} within {DEADLINE_S}s")


def cosign(body, name, key_file, timestamp):
    key = coal_client.load_signing_key(key_file)
    msg = f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()
    sig = key.sign(msg).signature
    kid = coal_client.note_key_id(name, coal_client.COSIGNATURE_V1, bytes(key.verify_key))
    raw = kid + struct.pack(">Q", timestamp) + sig
    return f"{coal_client.EM_DASH} {name} {base64.b64encode(raw).decode()}"


def split_note(note):
    body, sigs = note.split("\n\n", 1)
    return body + "\n", sigs.splitlines()


def join_note(body, lines):
    return body + "\n" + "\n".join(lines) + "\n"


def flip_b64(text, offset):
    raw = bytearray(base64.b64decode(text))
    raw[offset % len(raw)] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def flip_hex(text):
    return ("0" if text[0] != "0" else "1") + text[1:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--coalctl", required=True)
    ap.add_argument("--node", required=True)
    ap.add_argument("--devnet", required=True)
    ap.add_argument("--work", required=True)
    case = Case(ap.parse_args())

    first = submit(case, "verify-cli-1")
    index = submit(case, "verify-cli-2")
    cp = checkpoint_covering(case, index)
    for field in ("origin", "size", "root", "note"):
        assert field in cp, f"coalctl checkpoint --json lacks {field}"
    answer = case.ctl_json("proof", "inclusion", "--index", str(first))
    for field in ("index", "size", "leaf", "leaf_hash", "proof", "root", "checkpoint"):
        assert field in answer, f"coalctl proof inclusion --json lacks {field}"
    size = int(answer["size"])
    assert size >= 2 and answer["proof"], "want a tree of 2+ leaves so the proof is not empty"
    n = len(cp["cosigners"])
    assert n >= 3, f"checkpoint cosigned by {n}"

    print("coalctl verify against a live devnet:")
    state = case.work / "state.json"
    case.expect("saved inclusion answer verifies", case.verify(answer, state), True)
    case.expect("checkpoint answer verifies", case.verify(cp, state), True)
    case.expect("live answer verifies", case.ctl(
        "verify", "--genesis", case.genesis, "--index", str(first), "--index", str(index),
        "--state", str(state), check=False), True)

    t = copy.deepcopy(answer)
    t["leaf"] = flip_b64(t["leaf"], 20)
    case.expect("tampered leaf", case.verify(t), False, "leaf bytes hash to")
    del t["leaf_hash"]
    case.expect("tampered leaf without leaf_hash", case.verify(t), False,
                "inclusion proof: root mismatch")
    t = copy.deepcopy(answer)
    t["proof"][0] = flip_hex(t["proof"][0])
    case.expect("tampered proof", case.verify(t), False, "inclusion proof: root mismatch")
    t = copy.deepcopy(answer)
    t["root"] = flip_hex(t["root"])
    case.expect("tampered proof root", case.verify(t), False,
                "is not the verified checkpoint root")
    t = copy.deepcopy(answer)
    t["checkpoint"]["root"] = flip_hex(t["checkpoint"]["root"])
    case.expect("tampered checkpoint root", case.verify(t), False, "checkpoint: root field")
    t = copy.deepcopy(answer)
    t["size"] = size + 1
    case.expect("tampered proof size", case.verify(t), False,
                "size is not the size of the verified checkpoint")
    t = copy.deepcopy(answer)
    t["checkpoint"]["size"] = size + 1
    case.expect("tampered checkpoint size", case.verify(t), False, "checkpoint: size field")

    body, lines = split_note(answer["checkpoint"]["note"])
    name, b64 = lines[0].split(" ")[1:]
    t = copy.deepcopy(answer)
    t["checkpoint"]["note"] = join_note(body, [f"{coal_client.EM_DASH} {name} "
                                               f"{flip_b64(b64, 40)}"] + lines[1:])
    case.expect("tampered cosignature", case.verify(t), False,
                f"cosignature by validator '{name}' does not verify")

    validators = 4
    quorum = validators - (validators - 1) // 3
    t = copy.deepcopy(answer)
    t["checkpoint"]["note"] = join_note(body, lines[: quorum - 1])
    case.expect("fewer than 2f+1 cosignatures", case.verify(t), False,
                f"{quorum - 1} valid distinct validator cosignatures, {quorum} (2f+1 of "
                f"{validators}) required")
    member_key = str(case.devnet / "keys" / "cloud-a.key")
    t["checkpoint"]["note"] = join_note(
        body, lines[: quorum - 1] + [cosign(body, "cloud-a", member_key, int(time.time()))])
    case.expect("non-validator key", case.verify(t), False,
                "ignored: 'cloud-a' is not a genesis validator")
    unused = sorted(set(f"node-{i}" for i in range(validators)) -
                    {ln.split(" ")[1] for ln in lines[: quorum - 1]})[0]
    t["checkpoint"]["note"] = join_note(
        body, lines[: quorum - 1] + [cosign(body, unused, member_key, int(time.time()))])
    case.expect("non-validator key under a validator's name", case.verify(t), False,
                f"ignored: '{unused}' signed with a key that is not its genesis key")

    # A fork: colluding validator keys cosign another root for a size already verified.
    origin, fork_size, _ = coal_client.parse_checkpoint_body(body)
    fork_body = f"{origin}\n{fork_size}\n{base64.b64encode(os.urandom(32)).decode()}\n"
    fork_lines = [cosign(fork_body, f"node-{i}", str(case.devnet / "keys" / f"node-{i}.key"),
                         int(time.time())) for i in range(quorum)]
    fork = {"note": join_note(fork_body, fork_lines)}
    case.expect("forged checkpoint verifies without history", case.verify(fork), True)
    fork_state = case.work / "fork-state.json"
    case.expect("real checkpoint recorded", case.verify(answer, fork_state), True)
    case.expect("same size, other root is a fork", case.verify(fork, fork_state), False,
                f"fork: checkpoint of chain {origin} at size {fork_size} has root")

    # A newer checkpoint: consistent with the state (proof fetched from the node).
    newer_index = submit(case, "verify-cli-3")
    newer = checkpoint_covering(case, newer_index)
    p = case.verify(newer, state, offline=True)
    case.expect("newer checkpoint offline needs a consistency proof", p, False,
                "the answer has no consistency proof")
    p = case.verify(newer, state, offline=False)
    case.expect("newer checkpoint consistent with the last verified", p, True)

    # A compliance answer asked for with proofs, saved as printed, verifies as a whole; a tampered
    # leaf inside it does not.
    now_ms = int(time.time() * 1000)
    commitment = {"commitment_id": "C-VERIFY-1", "buyer": "cloud-a", "vendors": ["nvidia"],
                  "amount": {"units": "1000000", "currency": "USD"}, "quantity": "10",
                  "chip_category": "3A090.a datacenter accelerators",
                  "period_start_ms": str(now_ms - 86400000),
                  "period_end_ms": str(now_ms + 86400000)}
    r = case.ctl_json("--key", member_key, "submit", "--type", "ProcurementCommitment",
                      "--payload", json.dumps(commitment), "--wait")
    if not r["committed"] or not r["accepted"]:
        raise RuntimeError(f"submit commitment: {r}")
    checkpoint_covering(case, int(r["log_index"]))
    answer = case.ctl_json("commitments", "--id", "C-VERIFY-1", "--with-proof")
    proven = [int(i["index"]) for i in answer.get("inclusions", [])]
    case.check("commitments --with-proof carries its bundle", proven == [int(r["log_index"])],
               f"proven {proven}, answer {answer}")
    case.expect("commitments answer with proofs verifies", case.verify(answer), True)
    t = copy.deepcopy(answer)
    t["inclusions"][0]["leaf"] = flip_b64(t["inclusions"][0]["leaf"], 20)
    case.expect("commitments answer with a tampered leaf", case.verify(t), False,
                "leaf bytes hash to")

    print(f"{case.passed} passed, {len(case.failures)} failed")
    return 1 if case.failures else 0


if __name__ == "__main__":
    sys.exit(main())
