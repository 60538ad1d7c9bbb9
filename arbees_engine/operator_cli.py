"""`arbees-engine operator add|list|remove`: operator keys and the authorized-operators file.

    operator add NAME                      new Ed25519 key <keys dir>/NAME.key (0600) + authorize it
    operator add NAME --public-key B64     authorize someone else's public key (no private key here)
    operator add NAME --key-only           only create the key and print its public key (for an engine
                                           whose operators file another account owns)
    operator list                          authorized operators, and which keys this user holds
    operator remove NAME                   de-authorize NAME and delete this user's NAME.key

Paths: settings `operator_keys_dir` / `operators_file` (ARBEES_OPERATOR_KEYS_DIR,
ARBEES_OPERATORS_FILE); defaults in bus/operators.py. Exit 0 ok, 1 refused (message on stderr).
"""

from __future__ import annotations

import argparse
import sys

from .bus import operators
from .bus.signing import parse_public_key
from .settings import Settings


def add_parser(sub) -> None:
    """Register the `operator` subcommand tree on an argparse subparsers object."""
    op = sub.add_parser("operator", help="manage operator signing keys (add, list, remove)")
    verbs = op.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="create NAME's key and authorize it (refuses to overwrite)")
    add.add_argument("name")
    add.add_argument("--public-key", default=None, help="authorize this base64 Ed25519 public key instead")
    add.add_argument(
        "--key-only",
        action="store_true",
        help="create the key and print its public key; do not touch the operators file",
    )
    verbs.add_parser("list", help="authorized operators and the keys this user holds")
    remove = verbs.add_parser("remove", help="de-authorize NAME and delete this user's key file for it")
    remove.add_argument("name")


async def cmd_operator(settings: Settings, args: argparse.Namespace) -> int:
    """Dispatch `operator add|list|remove`."""
    keys, authorized = settings.effective_operator_keys_dir(), settings.effective_operators_file()
    try:
        if args.verb == "add":
            return _add(args, keys, authorized)
        if args.verb == "list":
            return _list(keys, authorized)
        return _remove(args.name, keys, authorized)
    except (operators.OperatorError, ValueError, OSError) as exc:
        print(f"operator {args.verb}: {exc}", file=sys.stderr)
        return 1


def _add(args: argparse.Namespace, keys, authorized) -> int:
    name = operators.check_name(args.name)
    if args.key_only:
        key = operators.create_key(name, keys)
        print(
            f"created {keys / (name + '.key')} (mode 0600)\npublic key {key.public_text}\n"
            f"authorize it with: arbees-engine operator add {name} --public-key {key.public_text}"
        )
        return 0
    if name in operators.authorized_names(authorized):
        raise operators.OperatorError(f"{name!r} is already authorized in {authorized}")
    if args.public_key:
        parse_public_key(args.public_key)
        operators.authorize(name, args.public_key, authorized)
        print(f"authorized {name} in {authorized}")
        return 0
    key = operators.create_key(name, keys)
    operators.authorize(name, key.public_text, authorized)
    print(
        f"created {keys / (name + '.key')} (mode 0600)\nauthorized {name} in {authorized}\npublic key {key.public_text}"
    )
    return 0


def _list(keys, authorized) -> int:
    held = set(operators.key_names(keys))
    table = operators.authorized_names(authorized)
    try:
        operators.load_authorized(authorized)
    except operators.OperatorError as exc:
        print(f"warning: the engine refuses this file: {exc}", file=sys.stderr)
    print(f"authorized operators ({authorized}):")
    for name in sorted(table):
        print(f"  {name:<20} {table[name]}{'  (key here)' if name in held else ''}")
    for name in sorted(held - set(table)):
        print(f"  {name:<20} (key in {keys}, NOT authorized)")
    if not table and not held:
        print("  none: `arbees-engine operator add NAME` creates one")
    return 0


def _remove(name: str, keys, authorized) -> int:
    removed = operators.deauthorize(name, authorized)
    deleted = operators.delete_key(name, keys)
    if not removed and not deleted:
        raise operators.OperatorError(f"no operator {name!r} in {authorized} nor key in {keys}")
    print(
        f"{name}: {'de-authorized' if removed else 'was not authorized'}; "
        f"{'key deleted' if deleted else 'no key file here'}"
    )
    return 0
