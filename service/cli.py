"""The `lif` command: serve, worker, migrate, demo, token, partnership/agency/user, draw, dispose."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import signal
import sys
import threading
import uuid
from pathlib import Path

from service.config import REPO_ROOT, get_settings


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `lif` console script."""
    parser = argparse.ArgumentParser(prog="lif", description="LIF Service: safeguarding learning workflows.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API (and, unless --no-worker, the background worker)")
    serve.add_argument("--host", default=None, help="bind address (default LIF_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default LIF_PORT or 8000)")
    serve.add_argument("--no-worker", action="store_true", help="do not run the timer worker in this process")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations before starting")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="API processes (default 1); with more than one, the background worker runs once, in this process",
    )

    commands.add_parser("worker", help="run the background worker alone (timers)")
    commands.add_parser("migrate", help="apply database migrations (alembic upgrade head)")

    demo = commands.add_parser("demo", help="seed a demo partnership, agencies and one user per role")
    demo.add_argument("--tokens-out", type=Path, help="write {role: token} JSON to this file")

    token = commands.add_parser("token", help="manage API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="issue a token for a user and print it (shown once)")
    create.add_argument("--partnership", required=True, help="partnership key, e.g. northshire")
    create.add_argument("--email", required=True, help="the user's email")
    create.add_argument("--name", default="cli", help="a label for the token")
    revoke = token_commands.add_parser("revoke", help="revoke a token by its id (GET /api/v1/tokens lists them)")
    revoke.add_argument("--id", required=True, type=uuid.UUID, help="the token's id")

    partnership = commands.add_parser("partnership", help="onboard partnerships")
    partnership_commands = partnership.add_subparsers(dest="partnership_command", required=True)
    p_create = partnership_commands.add_parser("create", help="create a partnership (a tenant)")
    p_create.add_argument("--key", required=True, help="short unique key, e.g. northshire-lscp")
    p_create.add_argument("--name", required=True)
    p_create.add_argument("--kind", required=True, choices=["children", "adults", "joint", "community_safety", "mappa"])

    agency = commands.add_parser("agency", help="manage a partnership's agencies")
    agency_commands = agency.add_subparsers(dest="agency_command", required=True)
    a_add = agency_commands.add_parser("add", help="add an agency")
    a_add.add_argument("--partnership", required=True, help="partnership key")
    a_add.add_argument("--code", required=True, help="short code used in diagrams and the API, e.g. police")
    a_add.add_argument("--name", required=True)
    a_add.add_argument("--kind", required=True, help="police, health, local_authority, education, probation, ...")

    user = commands.add_parser("user", help="manage a partnership's users")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    u_add = user_commands.add_parser("add", help="add a user (then `lif token create` for them)")
    u_add.add_argument("--partnership", required=True, help="partnership key")
    u_add.add_argument("--name", required=True)
    u_add.add_argument("--email", required=True)
    u_add.add_argument("--role", required=True, action="append", help="repeat for several roles")
    u_add.add_argument("--agency", help="agency code, for agency staff")

    draw = commands.add_parser("draw", help="draw BPMN files as SVG pictures (e.g. for docs/lifecycles/img)")
    draw.add_argument("files", nargs="+", type=Path, help=".bpmn files")
    draw.add_argument("--out", type=Path, required=True, help="folder for the .svg files")

    dispose = commands.add_parser("dispose", help="dispose of what has reached the end of its retention, everywhere")
    dispose.add_argument(
        "--as-of", type=_date, default=None, help="count retention periods to this day, YYYY-MM-DD (default today)"
    )
    dispose.add_argument("--dry-run", action="store_true", help="only list the counts of what is due; change nothing")

    args = parser.parse_args(argv)
    logging.basicConfig(level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # SpiffWorkflow logs every task state change at INFO, and Alembic its plugins: noise for an operator.
    for noisy in ("spiff", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    handler = {
        "serve": _serve,
        "worker": _worker,
        "migrate": _migrate,
        "demo": _demo,
        "token": _token,
        "partnership": _directory,
        "agency": _directory,
        "user": _directory,
        "draw": _draw,
        "dispose": _dispose,
    }
    return handler[args.command](args)


def migrate(url: str | None = None) -> None:
    """Bring the database schema to the newest migration."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = url or get_settings().database_url
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")


def _migrate(_: argparse.Namespace) -> int:
    migrate()
    print(f"database is at the newest schema ({_safe_url()})")
    return 0


def _serve(args: argparse.Namespace) -> int:
    # uvicorn imports the app by name: the service package never imports the web layer itself.
    import os

    import uvicorn

    several = args.workers > 1
    # With several API processes the background worker runs once, here in the supervising process, not in each.
    os.environ["LIF_RUN_WORKER_IN_API"] = "false" if args.no_worker or several else "true"
    get_settings.cache_clear()
    settings = get_settings()
    host, port = args.host or settings.host, args.port or settings.port
    # Before migrating or starting the worker: a busy port should cost nothing and say what to do.
    busy = _port_in_use(host, port)
    if busy:
        print(
            f"error: cannot listen on {host}:{port} ({busy}); is another `lif serve` running? "
            f"Stop it, or choose another port: lif serve --port {port + 1}",
            file=sys.stderr,
        )
        return 1
    if not args.no_migrate:
        migrate()
    worker = None
    if several and not args.no_worker:
        # Each API process registers the bundled diagrams as it starts (registry.sync_bundled serialises them).
        from service.jobs.worker import start_in_thread

        worker = start_in_thread(url=settings.database_url, evidence_dir=settings.evidence_dir)
    uvicorn.run(
        "api.app:create_app_from_environment",
        factory=True,
        workers=args.workers if several else None,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        # Measured faster than the pure-Python defaults (asyncio, h11): see bench/README.md, "The request path".
        loop="uvloop",
        http="httptools",
        # The client address (which the sign-in limiter counts by) comes from X-Forwarded-For only when the
        # peer is a proxy named in LIF_TRUSTED_PROXIES; by default it is the socket's peer.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=",".join(settings.trusted_proxies) or None,
    )
    if worker is not None:
        worker[1].set()
        worker[0].join(timeout=10)
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("give 1 or more")
    return value


def _port_in_use(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (bound as uvicorn binds it), or None when it can."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _worker(_: argparse.Namespace) -> int:
    from service.jobs.worker import run

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    run(stop)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from service.db.session import unit_of_work
    from service.demo import open_examples, seed_demo

    if get_settings().environment == "production":
        print(
            "error: lif demo seeds a fictional partnership and is refused when LIF_ENVIRONMENT=production",
            file=sys.stderr,
        )
        return 1
    migrate()
    with unit_of_work() as session:
        seeded = seed_demo(session)
    with unit_of_work() as session:
        examples = open_examples(session, get_settings().bpmn_dir)
    tokens = seeded.tokens
    if seeded.created:
        print(f"demo partnership 'northshire' created, with its agencies and one user per role ({_safe_url()})")
    else:
        print(f"demo partnership 'northshire' already there: reused, with its agencies and users ({_safe_url()})")
    if examples:
        print(f"example cases opened: {', '.join(examples)}")
    else:
        print("example cases: kept from the earlier run (none opened)")
    reissued = f"; the {seeded.revoked} demo tokens of the earlier run are revoked" if seeded.revoked else ""
    print(f"{len(set(tokens.values()))} tokens issued, one per demo user{reissued}")
    if args.tokens_out:
        args.tokens_out.write_text(json.dumps(tokens, indent=2) + "\n")
        args.tokens_out.chmod(0o600)
        print(f"tokens written to {args.tokens_out}")
    else:
        for role, token in tokens.items():
            print(f"{role:40} {token}")
    return 0


def _token(args: argparse.Namespace) -> int:
    from service.db.session import unit_of_work
    from service.errors import DomainError
    from service.identity.directory import find_user
    from service.identity.tokens import create_token, revoke_token
    from service.models import ApiToken

    try:
        with unit_of_work() as session:
            if args.token_command == "revoke":
                row = session.get(ApiToken, args.id)
                if row is None:
                    raise DomainError(f"there is no token {args.id}")
                revoke_token(session, partnership_id=row.partnership_id, token_id=row.id, actor=None)
                print(f"token '{row.name}' ({row.prefix}...) revoked")
                return 0
            user = find_user(session, partnership_key=args.partnership, email=args.email)
            token = create_token(session, user_id=user.id, name=args.name)
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    print(token)
    return 0


def _directory(args: argparse.Namespace) -> int:
    from service.db.session import unit_of_work
    from service.errors import DomainError
    from service.identity import directory

    try:
        with unit_of_work() as session:
            if args.command == "partnership":
                created = directory.create_partnership(session, key=args.key, name=args.name, kind=args.kind)
                print(f"partnership '{created.key}' created ({created.id})")
                return 0
            found = directory.find_partnership(session, args.partnership)
            if args.command == "agency":
                added = directory.add_agency(
                    session, partnership_id=found.id, code=args.code, name=args.name, kind=args.kind
                )
                print(f"agency '{added.code}' added to '{found.key}'")
            else:
                person = directory.add_user(
                    session,
                    partnership_id=found.id,
                    name=args.name,
                    email=args.email,
                    roles=args.role,
                    agency_code=args.agency,
                )
                print(f"user {person.email} added to '{found.key}' with roles {', '.join(person.roles)}")
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    return 0


def _draw(args: argparse.Namespace) -> int:
    from service.processes.render import render_svg

    args.out.mkdir(parents=True, exist_ok=True)
    for number, path in enumerate(args.files, start=1):
        target = args.out / f"{path.stem}.svg"
        target.write_text(render_svg(path.read_bytes()), encoding="utf-8")
        print(f"[{number}/{len(args.files)}] {path} -> {target}")
    return 0


def _dispose(args: argparse.Namespace) -> int:
    from service.dataprotection.runs import today
    from service.jobs.disposal import dispose_all

    as_of = args.as_of or today()
    verb = "due" if args.dry_run else "disposed of"
    print(f"{'dry run: ' if args.dry_run else ''}retention counted to {as_of.isoformat()} ({_safe_url()})")

    def progress(key: str, counts: dict[str, int]) -> None:
        print(f"{key}: {sum(counts.values())} item(s) {verb}", flush=True)
        for name, count in counts.items():
            print(f"  {name:20} {count}", flush=True)

    totals = dispose_all(as_of=as_of, dry_run=args.dry_run, progress=progress)
    print(f"total: {sum(totals.values())} item(s) {verb}")
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date written YYYY-MM-DD") from None


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
