"""The ``parley`` command (``python -m parley``, and ``python bot.py`` in a checkout): run, chat,
check, campaign. It only wires; see parley/app.py."""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import importlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from pydantic import ValidationError

from parley.core.config.errors import cause_of
from parley.core.config.logs import setup_logging
from parley.core.config.settings import Settings, describe_error
from parley.core.storage.backup import BackupError
from parley.core.storage.store import StoreUnavailable

if TYPE_CHECKING:
    from parley.app import Bot

log = logging.getLogger("parley")


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        fail(describe_error(exc))


def fail(message: str) -> NoReturn:
    print(f"parley: configuration error: {message}", file=sys.stderr)
    sys.exit(2)


YOUNG_GC_THRESHOLD = 10_000
Build = Callable[..., "Bot"]  # (settings, **Bot keyword arguments) -> Bot


async def serve(settings: Settings, build: Build) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with build(settings) as app:
        # SIGHUP reloads packs, personas and knowledge without a restart (the Unix convention).
        loop.add_signal_handler(signal.SIGHUP, app.reload)
        # Everything loaded at start-up (SDKs, packs, knowledge) lives as long as the process:
        # take it out of the cyclic GC's generations so collections only walk per-turn garbage
        # (measured: about 11% less CPU per Telegram update).
        gc.freeze()
        # A young collection every 700 net new objects ran several times per turn under load
        # (the turns in flight hold more than that), about 7% of a Telegram update's CPU; past
        # 10,000 it hardly ever runs: nearly all per-turn objects are freed by reference
        # counting, so what the cyclic GC finds stays small and bounded.
        gc.set_threshold(YOUNG_GC_THRESHOLD)
        print(f"Parley is running: web chat at http://{settings.http.host}:{app.port}/chat", flush=True)
        await stop.wait()
        log.info("shutting down")


async def chat(settings: Settings, build: Build) -> None:
    from parley.channels.terminal.channel import TerminalChannel

    settings = settings.model_copy(update={"http": settings.http.model_copy(update={"port": 0})})
    done = asyncio.Event()
    async with build(settings, channels=[functools.partial(TerminalChannel, on_quit=done.set)]):
        await done.wait()


def load_app(spec: str) -> Build:
    """``--app module:function``: a bot author's ``function(settings, **options) -> Bot``,
    imported from the current directory as ``python -m`` would."""
    module, _, attr = spec.partition(":")
    if not module or not attr:
        fail(f"--app {spec}: expected module:function, e.g. --app mybot:build")
    sys.path.insert(0, os.getcwd())
    try:
        build = getattr(importlib.import_module(module), attr)
    except Exception as exc:  # the bot's own module: whatever stops it importing, say so in one line
        fail(f"--app {spec}: cannot import it ({type(exc).__name__}: {exc})")
    if not callable(build):
        fail(f"--app {spec}: not a function (settings, **options) -> Bot")
    return build


def warn_unknown(settings: Settings, command: str) -> None:
    """PARLEY_* variables no setting reads (a typo is otherwise silently ignored)."""
    from parley.channels import plugins
    from parley.core.config.unknown import unknown_variables

    for warning in unknown_variables(os.environ, Settings, [p.name for p in plugins()], Path(".env")):
        if command == "check":
            print(f"parley: warning: {warning}", file=sys.stderr)
        else:
            log.warning(warning)


async def users_command(settings: Settings, args: argparse.Namespace) -> int:
    from parley.core.console.cli import ask_password, users_cli
    from parley.core.storage import open_store
    from parley.core.storage.store import StoreUnavailable

    store = open_store(settings.store_url)
    try:
        await store.open()
    except StoreUnavailable as exc:
        fail(f"PARLEY_STORE_URL: cannot open the store ({exc})")
    try:
        password = functools.partial(ask_password, args.password_stdin)
        return await users_cli(store, args.action, args.name, args.role, args.label, password)
    finally:
        await store.close()


async def leads_command(settings: Settings, args: argparse.Namespace) -> int:
    from parley.core.analytics.service import open_analytics
    from parley.core.handoff.leads_cli import leads_cli
    from parley.core.storage import open_store
    from parley.core.storage.store import StoreUnavailable

    store = open_store(settings.store_url)
    try:
        await store.open()
        analytics = open_analytics(settings.store_url, store)
        await analytics.open()
    except StoreUnavailable as exc:
        fail(f"PARLEY_STORE_URL: cannot open the store ({exc})")
    try:
        currency = settings.analytics.currency
        return await leads_cli(
            store, analytics, currency, args.action, args.target, args.outcome, args.value, args.currency
        )
    finally:
        await analytics.close()
        await store.close()


def main(argv: list[str] | None = None, app: Build | None = None) -> int:
    """The command line. A bot's own entry point passes ``app``, its ``build(settings, **options)``
    (``sys.exit(main(app=build))``), as ``--app module:build`` does."""
    parser = argparse.ArgumentParser(prog="parley", description="Parley: customer conversations on every channel.")
    parser.add_argument("--app", metavar="MODULE:FUNCTION", help="your bot: a function (settings) -> Bot")
    sub = parser.add_subparsers(dest="command", metavar="command")
    sub.add_parser("run", help="start Parley (the default)")
    sub.add_parser("chat", help="talk to the bot in this terminal")
    sub.add_parser("check", help="validate configuration, personas, locales and knowledge, then exit")
    camp = sub.add_parser(
        "campaigns",
        aliases=["campaign"],
        help="list, create, preview, start, pause, resume, cancel or follow campaigns",
    )
    actions = ["list", "create", "preview", "start", "pause", "resume", "cancel", "sends", "status"]
    camp.add_argument("action", choices=actions)
    camp.add_argument(
        "target", nargs="?", default="", help="a YAML/JSON campaign file (create, preview) or a campaign id"
    )
    camp.add_argument("--people", help="a CSV file of recipients (create, preview)")
    camp.add_argument("--watch", action="store_true", help="status: follow the progress bar until done")
    users = sub.add_parser("users", help="console users: add, list, remove, passwd, token (see docs/console.md)")
    users.add_argument("action", choices=["add", "list", "remove", "passwd", "token"])
    users.add_argument("name", nargs="?", default="", help="the user name (all but list)")
    users.add_argument("--role", choices=["admin", "marketer", "agent_lead", "viewer"], default="viewer")
    users.add_argument("--label", default="", help="token: what the API token is for")
    users.add_argument("--password-stdin", action="store_true", help="read the password from stdin (scripts)")
    leads = sub.add_parser("leads", help="leads and their outcome: list, show, set (see docs/console.md)")
    leads.add_argument("action", choices=["list", "show", "set"])
    leads.add_argument("target", nargs="?", default="", help="list: open, won or lost (optional); show, set: a lead id")
    leads.add_argument("outcome", nargs="?", default="", help="set: open, won or lost")
    leads.add_argument("--value", help="set won: what the deal is worth, like 1200 or 99.90")
    leads.add_argument(
        "--currency", default="", help="set won: a three-letter code (default PARLEY_ANALYTICS__CURRENCY)"
    )
    people = sub.add_parser("people", help="export or erase everything held about a person (docs/privacy.md)")
    people.add_argument("action", choices=["export", "erase"])
    people.add_argument("person", help="the person's id, channel:handle (sms:+15550142)")
    people.add_argument("--reason", default="", help="why: kept in the audit log with your name")
    people.add_argument("--out", default="", help="export: write the JSON here instead of stdout")
    back = sub.add_parser(
        "backup", help="a consistent copy of the SQLite store, taken while Parley runs (docs/privacy.md)"
    )
    back.add_argument("path", help="where to write the copy")
    rest = sub.add_parser("restore", help="replace the SQLite store with a backup; every Parley process stopped first")
    rest.add_argument("path", help="the backup to restore")
    args = parser.parse_args(argv)
    settings = load_settings()
    setup_logging(settings.log_format, "WARNING" if args.command == "chat" else settings.log_level)
    try:
        if args.command == "users":
            return asyncio.run(users_command(settings, args))
        if args.command == "leads":
            return asyncio.run(leads_command(settings, args))
        if args.command == "people":
            from parley.core.privacy.cli import people_cli

            return asyncio.run(people_cli(settings, args.action, args.person, args.reason, args.out))
        if args.command in ("backup", "restore"):
            from parley.core.storage.backup_cli import backup_cli, restore_cli

            return (backup_cli if args.command == "backup" else restore_cli)(settings, args.path)
        if args.command not in ("campaign", "campaigns"):
            warn_unknown(settings, args.command)
        build = load_app(args.app) if args.app else app
        if build is None:
            from parley.app import Bot as build
        if args.command == "check":
            from parley.check import check

            return check(settings, build)
        if args.command in ("campaign", "campaigns"):
            from parley.core.schedule.cli import campaign_cli

            return asyncio.run(campaign_cli(settings, args.action, args.target, args.people, args.watch))
        asyncio.run(chat(settings, build) if args.command == "chat" else serve(settings, build))
    except (ValueError, FileNotFoundError, BackupError, StoreUnavailable) as exc:
        # Broken packs, personas, knowledge folder, store, port, a bot's own tools or hooks
        # (StartupError names the variable or hook): one line, no traceback.
        fail(str(exc))
    except OSError as exc:  # not one start-up names: say what it is, never guess the port
        fail(f"start-up failed: {cause_of(exc)}")
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
