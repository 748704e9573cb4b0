"""`apextick-dev`: the development identity provider, demo tokens and demo data.

apextick-dev identity-serve            serve the JWKS on APEXTICK_IDENTITY_PORT (default 8180)
apextick-dev token organizer           print an access token for a demo user (customer|organizer|admin)
apextick-dev seed                      create the demo venue and event through gRPC
apextick-dev buy --token T             buy demo seats through the edge, paying as stripe-mock's Stripe
apextick-dev mail-catcher              catch SMTP on APEXTICK_SMTP_PORT (1025) into var/mail, list on
                                       APEXTICK_MAIL_HTTP_PORT (8025)
apextick-dev web [--root DIR]           serve the built web app (clients/web/dist) on APEXTICK_WEB_PORT
                                       (3000), behind the edge's same-origin route
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path

from apextick.catalog.v1 import event_pb2

from devstack import mail_catcher, web_server
from devstack.identity import DEMO_USERS, REALM, JwksServer, SigningKey, access_claims
from devstack.purchase import PurchaseError, buy
from devstack.seed import seed_demo, token_subject

ROOT = Path(__file__).resolve().parent.parent


def _key() -> SigningKey:
    default = ROOT / "var" / "devauth" / "signing-key.pem"
    return SigningKey.load_or_create(Path(os.environ.get("APEXTICK_DEV_KEY_FILE", default)))


def _issuer() -> str:
    port = os.environ.get("APEXTICK_IDENTITY_PORT", "8180")
    return os.environ.get("APEXTICK_OIDC_ISSUER", f"http://localhost:{port}/realms/{REALM}")


def _seed_anchor() -> datetime:
    """When the demo sale opened: written by the first seed, read by every later one."""
    path = ROOT / "var" / "seed-anchor.txt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(datetime.now(UTC).isoformat())
    return datetime.fromisoformat(path.read_text().strip())


def _token(role: str, ttl: int) -> str:
    return _key().sign(access_claims(DEMO_USERS[role], _issuer(), ttl=ttl))


def _catch_mail() -> None:
    folder = Path(os.environ.get("APEXTICK_MAIL_DIR", ROOT / "var" / "mail"))
    host = os.environ.get("APEXTICK_SMTP_HOST", "127.0.0.1")
    smtp_port = int(os.environ.get("APEXTICK_SMTP_PORT", "1025"))
    http_port = int(os.environ.get("APEXTICK_MAIL_HTTP_PORT", "8025")) or None
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with mail_catcher.serve(folder, host, smtp_port, http_port):
        stop.wait()


def _seed(args: argparse.Namespace) -> None:
    gate = token_subject(args.gate_token) if args.gate_token else DEMO_USERS["gate"].subject
    seeded = seed_demo(args.target, args.token or _token("organizer", 300), _seed_anchor(), gate)
    event = seeded.published.event
    print(
        f"demo event: {event.name} ({event.display_name}, "
        f"{event.seat_count} seats, {event_pb2.EventState.Name(event.state)})"
    )
    if seeded.gate_station:
        edge = os.environ.get("APEXTICK_EDGE_REST_PORT", "8080")
        gate_url = f"http://localhost:{edge}/gate/{seeded.gate_station}"
        print(f"  gate screen      {gate_url}   (sign in as demo-gate)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="apextick-dev", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("identity-serve")
    token = commands.add_parser("token")
    token.add_argument("role", choices=sorted(DEMO_USERS))
    token.add_argument("--ttl", type=int, default=3600, help="seconds until the token expires")
    seed = commands.add_parser("seed")
    seed.add_argument("--target", default=f"127.0.0.1:{os.environ.get('APEXTICK_BOOKING_PORT', '50051')}")
    seed.add_argument(
        "--token", default="", help="an organizer's access token (default: one minted with the dev key)"
    )
    seed.add_argument("--gate-token", default="", help="the demo gate user's token: staffs the demo gate")
    purchase = commands.add_parser("buy")
    purchase.add_argument("--token", required=True, help="a customer's access token")
    purchase.add_argument(
        "--rest", default=f"http://127.0.0.1:{os.environ.get('APEXTICK_EDGE_REST_PORT', '8080')}"
    )
    purchase.add_argument("--seats", type=int, default=2)
    commands.add_parser("mail-catcher")
    web = commands.add_parser("web")
    web.add_argument("--root", type=Path, default=ROOT / "clients" / "web" / "dist")
    args = parser.parse_args(argv)

    if args.command == "identity-serve":
        port = int(os.environ.get("APEXTICK_IDENTITY_PORT", "8180"))
        server = JwksServer([_key()], port=port)
        print(f"dev identity provider: issuer {_issuer()} jwks {server.jwks_url}", flush=True)
        server.serve_forever()
    elif args.command == "mail-catcher":
        _catch_mail()
    elif args.command == "web":
        port = int(os.environ.get("APEXTICK_WEB_PORT", "3000"))
        print(f"web app from {args.root} on 127.0.0.1:{port}", flush=True)
        web_server.serve(args.root, "127.0.0.1", port).serve_forever()
    elif args.command == "token":
        print(_token(args.role, args.ttl))
    elif args.command == "buy":
        secret = os.environ.get("APEXTICK_STRIPE_WEBHOOK_SECRET", "")
        if not secret:
            raise SystemExit(
                "APEXTICK_STRIPE_WEBHOOK_SECRET is not set (scripts/lib.sh sets it for the local stack)"
            )
        try:
            result = buy(args.rest, args.token, secret, args.seats)
        except PurchaseError as error:
            raise SystemExit(str(error)) from None
        order = result["order"]
        print(f"{order['name']} {order['reference']}: {order['state']}")
        for ticket in result["tickets"]:
            print(f"  {ticket['name']} seat {ticket['seatId']} pdf {ticket['pdfUri']}")
    else:
        _seed(args)
