#!/usr/bin/env python3
"""The tree bench/scan.sh scans: crate sources from the cargo registry (real code, real test
fixtures) up to SIZE_MB, plus a planted set:

  planted/formats/NNN.env   one key each, 200 in all, real formats every scanner compared
                            knows (GitHub with its CRC32 checksum, GitLab, OpenAI, Anthropic,
                            Stripe, Slack, AWS, Google, SendGrid, npm), random, never issued
  planted/stored/NNN.*      one stored value each, 200 in all: random passwords and internal
                            tokens in no known format (what only exact matching finds), as a
                            config file's password, in a connection URL, or a literal in code

and VALUES_ENV, a .env of the 200 stored values for the vault to import.
Usage: make-scan-tree.py TREE SIZE_MB VALUES_ENV REGISTRY_SRC [SEED]
"""
import os
import random
import shutil
import string
import sys
import zlib
from pathlib import Path

tree, size_mb, values_env = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
registry_src = Path(sys.argv[4])
rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 42)
B62 = string.ascii_letters + string.digits
B64URL = B62 + "_-"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = (string.digits + string.ascii_uppercase + string.ascii_lowercase)[r] + out
    return out.rjust(width, "0")


def github(prefix):
    body = rand(B62, 30)
    return f"{prefix}{body}{base62(zlib.crc32(body.encode()), 6)}"


GENERATORS = [
    ("GITHUB_TOKEN", lambda: github("ghp_")),
    ("GITLAB_TOKEN", lambda: "glpat-" + rand(B64URL.replace("-", ""), 20)),
    ("OPENAI_API_KEY", lambda: "sk-proj-" + rand(B64URL, 74) + "T3BlbkFJ" + rand(B64URL, 74)),
    ("ANTHROPIC_API_KEY", lambda: "sk-ant-api03-" + rand(B64URL, 93) + "AA"),
    ("STRIPE_SECRET_KEY", lambda: "sk_live_" + rand(B62, 99)),
    ("SLACK_BOT_TOKEN", lambda: f"xoxb-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(B62, 24)}"),
    ("AWS_ACCESS_KEY_ID", lambda: "AKIA" + rand(string.ascii_uppercase + "234567", 16)),
    ("GOOGLE_API_KEY", lambda: "AIza" + rand(B64URL, 35)),
    ("SENDGRID_API_KEY", lambda: f"SG.{rand(B64URL, 22)}.{rand(B64URL, 43)}"),
    ("NPM_TOKEN", lambda: github("npm_")),
]

registry = next(registry_src.glob("*"))
if tree.exists():
    shutil.rmtree(tree)
(tree / "src").mkdir(parents=True)
total = 0
for crate in sorted(registry.iterdir()):
    if total >= size_mb << 20:
        break
    shutil.copytree(crate, tree / "src" / crate.name, symlinks=True)
    total += sum(p.stat().st_size for p in (tree / "src" / crate.name).rglob("*") if p.is_file() and not p.is_symlink())

(tree / "planted/formats").mkdir(parents=True)
(tree / "planted/stored").mkdir(parents=True)
for i in range(200):
    name, make = GENERATORS[i % len(GENERATORS)]
    (tree / f"planted/formats/{i:03}.env").write_text(f"# service settings\n{name}={make()}\n")
values = []
for i in range(200):
    # Internal credentials: a database password, a webhook secret, a service token.
    value = rand(B62, 12) + rng.choice(["-", "_", ".", "!"]) + rand(B62 + "!#%+", 12)
    values.append(value)
    # Where such values are left: a config file's password, a connection URL, a literal in code.
    if i % 3 == 0:
        (tree / f"planted/stored/{i:03}.yaml").write_text(f"database:\n  user: app\n  password: {value}\n")
    elif i % 3 == 1:
        (tree / f"planted/stored/{i:03}.ini").write_text(f"[db]\nurl = postgres://app:{value}@db.internal:5432/app\n")
    else:
        (tree / f"planted/stored/{i:03}.py").write_text(f"client = Client(\"https://api.internal\", \"{value}\")\n")
values_env.write_text("".join(f"STORED_{i:03}={v}\n" for i, v in enumerate(values)))
print(f"{total >> 20} MiB of crate sources, 200 format keys, 200 stored values")
