"""A local PayKKa (v1.2, v3) and YabandPay on 127.0.0.1, to develop and test against offline
(issue #13): it checks the merchant's signature, timestamp window and nonce as the PSP does
by its documentation, refuses with the PSP's own shapes, signs its answers with a platform
key, keeps Apple Pay sessions, checkout sessions and transactions in memory, and sends
signed webhooks. It is not PayKKa: what it does where PayKKa's documentation is silent is
listed in docs/paykka-sign.md ("Simulator").

Stable API (import path ``paykka_sign.simulator``)::

    from paykka_sign.simulator import Simulator

    with Simulator(merchant_public_key=key.public_key(), yabandpay_secret="s3cret") as sim:
        sim.url                      # "http://127.0.0.1:<port>": the client's base_url
        sim.platform_public_key      # the client's platform_public_key (also _pem)
        sim.merchant_id, sim.app_id  # "18356675194960", "978594372956732" unless given
        sim.tamper = True            # alter every answer after signing
        sim.send_webhook("http://127.0.0.1:8000/hooks/paykka", trans_id="order-1")
        sim.send_yabandpay_notification(url, order_id="Y1")
        sim.pay_checkout(session_id)  # the shopper paid a hosted/embedded checkout
        sim.store.transactions        # what it remembers (card numbers masked)

pytest: ``pytest_plugins = ["paykka_sign.simulator.pytest_plugin"]`` (also registered as a
``pytest11`` entry point) gives the fixtures ``paykka_simulator`` (a running simulator on a
free port, stopped after the test), ``paykka_merchant_key`` (the merchant's RSA key it
trusts) and ``yabandpay_secret``.

Command line: ``paykka-sign simulate``. Standard library only (no ``client`` extra needed).
"""

from __future__ import annotations

from .answers import Answer
from .refusals import PaykkaRefusal, YabandPayRefusal
from .server import Simulator
from .webhooks import Delivery

__all__ = ["Answer", "Delivery", "PaykkaRefusal", "Simulator", "YabandPayRefusal"]
