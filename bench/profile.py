#!/usr/bin/python3
"""profile.py DSO_REPORT CHILDREN_REPORT SELF_REPORT - Markdown digest of a
`perf record --call-graph dwarf` profile of bioauthd (made by run.sh).

1. Self time grouped by library: crypto (libcrypto/libssl), sqlite,
   jansson, libmicrohttpd, bioauthd's own code, libc (malloc, locks,
   string functions), kernel (syscalls, fsync, TCP).
2. Inclusive time of the named functions on the authenticate path (what
   each step costs with everything it calls), from the DWARF call graphs.
3. The top self-time symbols.
Percentages are of all samples of the process (every thread).
"""
import re
import sys

GROUPS = [("crypto (libcrypto, libssl)", ("libcrypto", "libssl")),
          ("sqlite", ("libsqlite3",)),
          ("jansson", ("libjansson",)),
          ("libmicrohttpd", ("libmicrohttpd",)),
          ("bioauthd (ours)", ("bioauthd",)),
          ("libc (malloc, locks, strings)", ("libc.so", "ld-linux", "libpthread")),
          ("kernel (syscalls, TCP, fsync)", ("[kernel", "[unknown]"))]

# The steps of an authenticate request, in order, and what they call.
FOCUS = ["on_request", "api_mb_authenticate", "api_require_bearer", "tokens_verify_access",
         "jws_verify", "json_in_decode", "api_decode", "sq_app_get", "sq_token_is_revoked",
         "sq_authenticator_get", "sq_challenge_get", "sq_user_get",
         "parse_der", "pubkey_from_der", "from_spki", "ASN1_item_d2i_ex",
         "OSSL_DECODER_CTX_new_for_pkey", "ec_from_point", "EVP_PKEY_public_check", "normalise",
         "i2d_PUBKEY", "OSSL_ENCODER_CTX_new_for_pkey", "sig_verify_b64", "login_commit",
         "req_submit", "login_done", "api_reply_tokens", "tokens_issue_user", "jws_sign",
         "EC_POINT_mul", "EVP_DigestSignInit_ex", "EVP_DigestVerifyInit_ex",
         "OPENSSL_LH_retrieve", "CRYPTO_THREAD_read_lock", "writer_main", "run_batch", "sq_apply",
         "audit_insert", "sqlite3_wal_checkpoint_v2", "sqlite3_step", "sqlite3_prepare_v2",
         "sqlite3_prepare_v3", "__x64_sys_pwrite64", "__x64_sys_pread64", "__x64_sys_fdatasync",
         "json_loads", "json_loadb", "json_dumps", "json_pack", "MHD_run", "log_access",
         "metrics_observe", "malloc", "free"]

LINE = re.compile(r"^\s*([\d.]+)%\s+(?:([\d.]+)%\s+)?(.*?)\s*$")


def rows(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                m = LINE.match(line)
                if m:
                    out.append((float(m.group(1)), m.group(2), m.group(3)))
    except OSError:
        pass
    return out


def main():
    dso_path, children_path, self_path = sys.argv[1:4]
    print("#### Self time by library\n")
    print("| library | self time |")
    print("|---|---|")
    totals = {g: 0.0 for g, _ in GROUPS}
    other = 0.0
    for pct, _, name in rows(dso_path):
        for g, keys in GROUPS:
            if any(k in name for k in keys):
                totals[g] += pct
                break
        else:
            other += pct
    for g, _ in GROUPS:
        print(f"| {g} | {totals[g]:.1f} % |")
    if other:
        print(f"| other | {other:.1f} % |")

    print("\n#### Inclusive time of the steps (with everything they call)\n")
    print("perf copies 16 KiB of stack per sample for DWARF unwinding; the deepest stacks\n"
          "(OpenSSL's decoder/encoder framework) lose their outer frames, so an outer\n"
          "function can show less than the sum of its callees: read the inner ones.\n")
    print("| function | inclusive | self |")
    print("|---|---|---|")
    seen = {}
    for pct, self_pct, name in rows(children_path):
        sym = re.sub(r"^\[[.k]\]\s+", "", name).replace(" (inlined)", "")
        if sym in FOCUS and sym not in seen:
            seen[sym] = (pct, self_pct)
    for f in FOCUS:
        if f in seen:
            print(f"| `{f}` | {seen[f][0]:.1f} % | {float(seen[f][1] or 0):.1f} % |")

    print("\n#### Top self-time symbols\n")
    print("| self | library | symbol |")
    print("|---|---|---|")
    n = 0
    for pct, _, name in rows(self_path):
        parts = name.split(None, 2)
        if len(parts) < 3:
            continue
        dso, sym = parts[0], parts[2]
        print(f"| {pct:.1f} % | {dso} | `{sym}` |")
        n += 1
        if n == 25:
            break


if __name__ == "__main__":
    main()
