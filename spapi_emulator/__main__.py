"""Run the emulator: python -m spapi_emulator --port 8000 --seed demo"""

import argparse
import contextlib
import pathlib
import signal
import sys
import threading

from .conformance import find_models_dir
from .seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    DEMO_SELLER_ID,
    add_demo_order,
    load_seed_file,
    seed_demo,
)
from .server import Emulator
from .sqs_server import SqsOutlet


def _new_orders(store, every, stop):
    """Buyers keep ordering: a new demo order every ``every`` seconds."""
    index = len(store.orders)
    while not stop.wait(every):
        index += 1
        order = add_demo_order(store, index)
        print(f"  new order {order.order_id} placed", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m spapi_emulator", description="A local Amazon SP-API emulator."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--seed",
        default="demo",
        help="'demo' (a seller with a few hundred orders), 'none', or a JSON seed file",
    )
    parser.add_argument("--orders", type=int, default=300, help="orders of the demo seed")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="multiplies Amazon's rate limits (tests use large values)",
    )
    parser.add_argument("--no-rate-limits", action="store_true")
    parser.add_argument(
        "--sqs-endpoint",
        metavar="URL",
        help="deliver the notifications subscribed to an SQS server there (moto's)",
    )
    parser.add_argument(
        "--new-order-every",
        type=float,
        default=0,
        metavar="SECONDS",
        help="with the demo seed: a new FBM order this often (it arrives by notification)",
    )
    parser.add_argument(
        "--sandbox-models",
        metavar="DIR",
        help="answer like Amazon's static sandbox, from the x-amzn-api-sandbox examples "
        "of the API models in DIR",
    )
    parser.add_argument(
        "--models",
        metavar="DIR",
        default="auto",
        help="check every request against Amazon's API models in DIR (default: "
        "$SAC_SPAPI_MODELS or shared/spapi-models beside the checkout; 'none': no check)",
    )
    args = parser.parse_args(argv)
    models_dir = args.models
    if models_dir == "auto":
        models_dir = find_models_dir(pathlib.Path(__file__).resolve().parent)
    elif models_dir == "none":
        models_dir = None

    emulator = Emulator(
        host=args.host,
        port=args.port,
        speed=args.speed,
        rate_limits=not args.no_rate_limits,
        models_dir=models_dir,
    )
    if args.sqs_endpoint:
        emulator.store.outlet = SqsOutlet(args.sqs_endpoint)
    if args.seed == "demo":
        seed_demo(emulator.store, order_count=args.orders)
    elif args.seed != "none":
        load_seed_file(emulator.store, args.seed)
    # Asked to stop from now on (even before it says where it listens): it
    # finishes saying so, then stops cleanly.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    emulator.start()
    print(f"SP-API emulator listening on {emulator.url}", flush=True)
    print(
        f"  requests checked against Amazon's models in {models_dir}"
        if models_dir
        else "  Amazon's models not found: requests are not checked against them",
        flush=True,
    )
    print(
        f"  {len(emulator.store.sellers)} seller(s), {len(emulator.store.orders)} order(s), "
        f"{len(emulator.store.listings)} listing(s)",
        flush=True,
    )
    if args.seed == "demo":
        print(
            f"  demo app: client id {DEMO_CLIENT_ID}, client secret {DEMO_CLIENT_SECRET}\n"
            f"  demo seller {DEMO_SELLER_ID}, refresh token {DEMO_REFRESH_TOKEN}",
            flush=True,
        )
    if args.seed == "demo" and args.new_order_every > 0:
        threading.Thread(
            target=_new_orders, args=(emulator.store, args.new_order_every, stop), daemon=True
        ).start()
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
