"""Merchant keys inside a PKCS#11 token (an HSM, SoftHSM2): the private key never leaves it.

    token = Pkcs11Token("/usr/lib/softhsm/libsofthsm2.so", token_label="merchant",
                        pin_file="/run/secrets/pin")
    key = token.merchant_key(key_id=public_key_hash, certificate="merchant.pem")
    decryptor = TokenDecryptor(key)

EC_v1: ``CKM_ECDH1_DERIVE`` with ``CKD_NULL`` gives Z (a session-only generic secret read
and destroyed at once); Apple's KDF and AES-GCM stay in the library (a token offers no KDF
of Apple's shape). RSA_v1: ``CKM_RSA_PKCS_OAEP`` with SHA-256 and MGF1-SHA-256. SoftHSM2
2.6 does OAEP with SHA-1 only: that is :class:`HsmMechanismUnsupportedError`.

Keys are found by ``CKA_ID`` = the raw publicKeyHash (what :func:`import_private_key` and
:func:`generate_private_key` set) or by label. Threads share one :class:`Pkcs11Token`: each
operation takes a session from a pool (a PKCS#11 session runs one operation at a time).

Optional: ``pip install 'applepay-toolkit[pkcs11]'`` (python-pkcs11).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..errors import (
    ConfigurationError,
    HsmError,
    HsmKeyNotFoundError,
    HsmKeyUsageError,
    HsmMechanismUnsupportedError,
    HsmModuleError,
    HsmPinError,
    HsmTokenNotFoundError,
)
from .files import MerchantPrivateKey, PathOrBytes
from .identity import public_key_hash
from .merchant_key import HeldKey, MerchantKey

try:
    import pkcs11
    from pkcs11 import KDF, MGF, Attribute, KeyType, Mechanism, ObjectClass
    from pkcs11 import exceptions as p11
except ImportError:  # pragma: no cover - the optional extra is absent
    pkcs11 = None  # type: ignore[assignment]

__all__ = [
    "MODULE_ENV",
    "Pkcs11KeyAgreement",
    "Pkcs11KeyUnwrapper",
    "Pkcs11Token",
    "Pkcs11Uri",
    "certificate_signing_request",
    "generate_private_key",
    "held_key_from_uri",
    "import_private_key",
    "merchant_key_from_uri",
    "parse_pkcs11_uri",
    "store_certificate",
    "token_from_uri",
]

#: Where the module path comes from when none is given (the OpenSSL / p11-kit habit).
MODULE_ENV = "PKCS11_MODULE"
#: Debian's SoftHSM2.
DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
_P256_OID = "1.2.840.10045.3.1.7"


def _require_pkcs11() -> None:
    if pkcs11 is None:
        raise HsmModuleError(
            "PKCS#11 support needs python-pkcs11: pip install 'applepay-toolkit[pkcs11]'"
        )


def read_pin(*, pin_file: str | os.PathLike[str] | None, pin_env: str | None) -> str:
    """The user PIN from a file (first line; a pin-source as RFC 7512 and p11-kit have it)
    or from an environment variable. Never from the command line (``ps`` shows it), never
    in a message."""
    if (pin_file is None) == (pin_env is None):
        raise ConfigurationError("give the PIN as exactly one of pin_file= or pin_env=")
    if pin_env is not None:
        value = os.environ.get(pin_env)
        if not value:
            raise ConfigurationError(f"the environment variable {pin_env} holding the PIN is unset")
        return value
    assert pin_file is not None
    try:
        raw = Path(pin_file).read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the PIN file {os.fspath(pin_file)!r}: {exc.strerror}"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Review (#11), class 8: the decoder's text would name a byte of the PIN.
        raise ConfigurationError(
            f"the PIN file {os.fspath(pin_file)!r} is not UTF-8 text"
        ) from None
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise ConfigurationError(f"the PIN file {os.fspath(pin_file)!r} is empty")
    return lines[0]


def _hsm_error(exc: Exception, doing: str) -> HsmError:
    """One PKCS#11 failure as this package's error. python-pkcs11's exceptions carry no
    secret, but only the class name is shown, as for every wrapped exception."""
    name = type(exc).__name__
    if isinstance(exc, p11.PinIncorrect | p11.PinLocked | p11.PinExpired | p11.PinInvalid):
        return HsmPinError(f"the token refused the PIN ({name}) while {doing}")
    if isinstance(exc, p11.MechanismInvalid | p11.MechanismParamInvalid):
        return HsmMechanismUnsupportedError(
            f"the token does not support the mechanism for {doing} ({name})"
        )
    if isinstance(exc, p11.NoSuchKey):
        return HsmKeyNotFoundError(f"the token holds no such key ({doing})")
    if isinstance(exc, p11.NoSuchToken):
        return HsmTokenNotFoundError(f"no such token ({doing})")
    return HsmError(f"the PKCS#11 token failed while {doing} ({name})")


class Pkcs11Token:
    """One logged-in token and a pool of sessions on it, shared by threads.

    ``module`` is the PKCS#11 shared library (default: ``$PKCS11_MODULE``, else SoftHSM2's
    Debian path). The PIN comes from ``pin_file`` or ``pin_env``; it is used to log in and
    not kept. Each operation takes a session from a pool of up to ``max_sessions``.

    python-pkcs11 initialises the module with ``C_Initialize(NULL)``, which by the standard
    promises the module no concurrent calls, and SoftHSM2 then uses no locks of its own
    (concurrent derives fail with CKR_GENERAL_ERROR). So calls into one module are
    serialised by a lock unless ``concurrent=True``, for a module documented to be
    thread-safe whatever its initialisation (many network HSMs' clients): then up to
    ``max_sessions`` operations run at once.
    """

    def __init__(
        self,
        module: str | os.PathLike[str] | None = None,
        *,
        token_label: str,
        pin_file: str | os.PathLike[str] | None = None,
        pin_env: str | None = None,
        max_sessions: int = 8,
        rw: bool = False,
        concurrent: bool = False,
    ) -> None:
        _require_pkcs11()
        if max_sessions < 1:
            raise ConfigurationError("max_sessions must be at least 1")
        self.module = os.fspath(module or os.environ.get(MODULE_ENV) or DEFAULT_MODULE)
        self.token_label = token_label
        pin = read_pin(pin_file=pin_file, pin_env=pin_env)
        try:
            library = pkcs11.lib(self.module)
        except Exception as exc:  # RuntimeError / OSError from dlopen, PKCS11Error
            raise HsmModuleError(
                f"cannot load the PKCS#11 module {self.module!r} ({type(exc).__name__}): "
                f"give the path of the token's shared library (or set {MODULE_ENV})"
            ) from None
        try:
            self._token = library.get_token(token_label=token_label)
        except p11.NoSuchToken:
            raise HsmTokenNotFoundError(
                f"the module {self.module!r} has no token labelled {token_label!r}"
            ) from None
        except p11.PKCS11Error as exc:
            raise _hsm_error(exc, f"finding the token {token_label!r}") from None
        self._rw = rw
        try:
            # The login session stays open: PKCS#11 logs in the application, not the
            # session, and closing the last logged-in session would log every one out.
            self._login = self._token.open(user_pin=pin, rw=rw)
        except p11.UserAlreadyLoggedIn:
            # Another Pkcs11Token of this process logged in to the same token: PKCS#11's
            # login belongs to the application, so this one shares it (docs/hsm.md: keep
            # one Pkcs11Token per token and process).
            self._login = self._token.open(rw=rw)
        except p11.PKCS11Error as exc:
            raise _hsm_error(exc, f"logging in to the token {token_label!r}") from None
        del pin
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._idle.put(self._login)
        self._opened = 1
        self._max = max_sessions
        self._lock = threading.Lock()
        self._calls: threading.Lock | contextlib.nullcontext[None] = (
            contextlib.nullcontext() if concurrent else _module_lock(self.module)
        )

    @contextlib.contextmanager
    def session(self) -> Iterator[Any]:
        """A session for one operation, taken from the pool and given back."""
        try:
            session = self._idle.get_nowait()
        except queue.Empty:
            session = self._open_or_wait()
        try:
            with self._calls:
                yield session
        finally:
            self._idle.put(session)

    def _open_or_wait(self) -> Any:
        with self._lock:
            grow = self._opened < self._max
            if grow:
                self._opened += 1
        if not grow:
            return self._idle.get()
        try:
            return self._token.open(rw=self._rw)  # inherits the login
        except p11.PKCS11Error as exc:
            with self._lock:
                self._opened -= 1
            raise _hsm_error(exc, "opening a session") from None

    def _find(
        self, session: Any, object_class: Any, key_id: bytes | None, label: str | None
    ) -> Any:
        attrs: dict[Any, Any] = {Attribute.CLASS: object_class}
        if key_id is not None:
            attrs[Attribute.ID] = key_id
        if label is not None:
            attrs[Attribute.LABEL] = label
        found = list(session.get_objects(attrs))
        if len(found) > 1:
            raise HsmKeyNotFoundError(
                f"the token holds {len(found)} objects matching {_what(key_id, label)}: "
                "give the CKA_ID or a unique label"
            )
        return found[0] if found else None

    def private_key_handle(self, session: Any, key_id: bytes | None, label: str | None) -> Any:
        key = self._find(session, ObjectClass.PRIVATE_KEY, key_id, label)
        if key is None:
            raise HsmKeyNotFoundError(
                f"the token {self.token_label!r} holds no private key with {_what(key_id, label)}"
            )
        return key

    def public_key(
        self, key_id: bytes | None = None, label: str | None = None
    ) -> ec.EllipticCurvePublicKey | rsa.RSAPublicKey | None:
        """The public key stored beside the private one (same CKA_ID or label), if any."""
        with self.session() as session:
            found = self._find(session, ObjectClass.PUBLIC_KEY, key_id, label)
            if found is None:
                return None
            if found[Attribute.KEY_TYPE] != KeyType.EC:
                modulus = int.from_bytes(found[Attribute.MODULUS], "big")
                exponent = int.from_bytes(found[Attribute.PUBLIC_EXPONENT], "big")
                return rsa.RSAPublicNumbers(exponent, modulus).public_key()
            der = pkcs11.util.ec.encode_ec_public_key(found)
        public = serialization.load_der_public_key(der)
        assert isinstance(public, ec.EllipticCurvePublicKey | rsa.RSAPublicKey)
        return public

    def certificate(self, key_id: bytes) -> x509.Certificate | None:
        """The certificate stored beside the key (``CKA_ID`` = its publicKeyHash), if any:
        Apple's payment processing certificate, which names the merchant id."""
        with self.session() as session:
            found = self._find(session, ObjectClass.CERTIFICATE, key_id, None)
            der = bytes(found[Attribute.VALUE]) if found is not None else None
        return x509.load_der_x509_certificate(der) if der is not None else None

    def _usable_key(self, key_id: bytes | None, label: str | None) -> tuple[Any, bytes | None]:
        """The private key's type and CKA_ID, once it is known to allow what it is for."""
        if key_id is None and label is None:
            raise ConfigurationError("find the key by key_id (its publicKeyHash) or label")
        with self.session() as session:
            handle = self.private_key_handle(session, key_id, label)
            key_type = handle[Attribute.KEY_TYPE]
            resolved_id = bytes(handle[Attribute.ID] or b"") or key_id
            allowed = handle[Attribute.DERIVE if key_type == KeyType.EC else Attribute.DECRYPT]
        if not allowed:
            raise HsmKeyUsageError(
                f"the key {_what(key_id, label)} has "
                + (
                    "CKA_DERIVE false: EC_v1 needs ECDH"
                    if key_type == KeyType.EC
                    else "CKA_DECRYPT false: RSA_v1 needs RSA-OAEP decryption"
                )
            )
        if key_type not in (KeyType.EC, KeyType.RSA):
            raise ConfigurationError(f"a PKCS#11 key of type {key_type!r} cannot be a payment key")
        return key_type, resolved_id

    def _holder(
        self, key_type: Any, key_id: bytes | None, label: str | None, public: Any
    ) -> Pkcs11KeyAgreement | Pkcs11KeyUnwrapper:
        if key_type == KeyType.EC:
            return Pkcs11KeyAgreement(self, key_id, label)
        if not isinstance(public, rsa.RSAPublicKey):
            raise ConfigurationError("the certificate's key is not RSA, the token's key is")
        return Pkcs11KeyUnwrapper(self, key_id, label, public.key_size)

    def held_key(self, *, key_id: bytes | None = None, label: str | None = None) -> HeldKey:
        """The key with ``CKA_ID`` = ``key_id`` (the raw publicKeyHash) or ``label``, with
        its public key (from the certificate stored beside it, else the public key object
        beside it) and that certificate. No operation is done with it yet: what ``doctor``,
        ``keys hash`` and ``cert inspect`` need before a merchant id is known."""
        key_type, resolved_id = self._usable_key(key_id, label)
        stored = self.certificate(resolved_id) if resolved_id is not None else None
        public: Any = stored.public_key() if stored is not None else None
        if public is None:
            public = self.public_key(key_id, label)
        if not isinstance(public, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            raise ConfigurationError(
                f"the token holds no public key or certificate beside {_what(key_id, label)}: "
                "give the payment processing certificate"
            )
        return HeldKey(self._holder(key_type, resolved_id, label, public), public, stored)

    def merchant_key(
        self,
        *,
        key_id: bytes | None = None,
        label: str | None = None,
        certificate: PathOrBytes | x509.Certificate | None = None,
        merchant_id: str | None = None,
    ) -> MerchantKey:
        """The key with ``CKA_ID`` = ``key_id`` (the raw publicKeyHash) or ``label``.

        Its public key comes from ``certificate``, else from the certificate stored beside
        it (:func:`store_certificate`), else from the public key object beside it; one
        operation checks the pair (and that the key may derive / decrypt)."""
        if certificate is None:
            return self.held_key(key_id=key_id, label=label).merchant_key(merchant_id=merchant_id)
        from .files import load_certificate

        key_type, resolved_id = self._usable_key(key_id, label)
        public = load_certificate(certificate).public_key()
        return MerchantKey.from_holder(
            self._holder(key_type, resolved_id, label, public),
            certificate=certificate,
            merchant_id=merchant_id,
        )

    def close(self) -> None:
        """Log out and close every session (the keys stop working)."""
        while True:
            try:
                session = self._idle.get_nowait()
            except queue.Empty:
                break
            if session is not self._login:
                session.close()
        self._login.close()

    def __repr__(self) -> str:
        return f"Pkcs11Token(module={self.module!r}, token_label={self.token_label!r})"


_MODULE_LOCKS: dict[str, threading.Lock] = {}
_MODULE_LOCKS_LOCK = threading.Lock()


def _module_lock(module: str) -> threading.Lock:
    """One lock per loaded module: python-pkcs11 loads a module once per process, so every
    Pkcs11Token on it shares its (unlocked) state."""
    with _MODULE_LOCKS_LOCK:
        return _MODULE_LOCKS.setdefault(module, threading.Lock())


def _what(key_id: bytes | None, label: str | None) -> str:
    parts = []
    if key_id is not None:
        parts.append(f"CKA_ID {key_id.hex()}")
    if label is not None:
        parts.append(f"label {label!r}")
    return " and ".join(parts)


class _Pkcs11Holder:
    """What both holders share: the key is found again in each pooled session (a handle
    found in one python-pkcs11 session object is tied to it), then cached per session."""

    def __init__(self, token: Pkcs11Token, key_id: bytes | None, label: str | None) -> None:
        self.token = token
        self.key_id = key_id
        self.label = label
        self._handles: dict[int, Any] = {}

    def _handle(self, session: Any) -> Any:
        handle = self._handles.get(id(session))
        if handle is None:
            handle = self.token.private_key_handle(session, self.key_id, self.label)
            self._handles[id(session)] = handle
        return handle

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kind})"

    @property
    def kind(self) -> str:
        # The label when the key was named by it (what the user wrote), else its CKA_ID.
        named = f"label {self.label!r}" if self.label is not None else _what(self.key_id, None)
        return f"PKCS#11 key {named} in token {self.token.token_label!r}"


class Pkcs11KeyAgreement(_Pkcs11Holder):
    """EC_v1's :class:`~applepay_crypto.keys.KeyAgreement` with ``CKM_ECDH1_DERIVE``."""

    def exchange(self, ephemeral_public_key: ec.EllipticCurvePublicKey) -> bytes:
        point = ephemeral_public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        with self.token.session() as session:
            try:
                secret = self._handle(session).derive_key(
                    KeyType.GENERIC_SECRET,
                    256,
                    mechanism=Mechanism.ECDH1_DERIVE,
                    mechanism_param=(KDF.NULL, None, point),
                    # Z must be read out to run Apple's KDF here: a session object,
                    # extractable, destroyed at once.
                    template={
                        Attribute.TOKEN: False,
                        Attribute.SENSITIVE: False,
                        Attribute.EXTRACTABLE: True,
                    },
                )
                try:
                    return bytes(secret[Attribute.VALUE])
                finally:
                    secret.destroy()
            except p11.PKCS11Error as exc:
                raise _hsm_error(exc, "computing ECDH (CKM_ECDH1_DERIVE)") from None


class Pkcs11KeyUnwrapper(_Pkcs11Holder):
    """RSA_v1's :class:`~applepay_crypto.keys.KeyUnwrapper` with ``CKM_RSA_PKCS_OAEP``,
    SHA-256 and MGF1-SHA-256."""

    def __init__(
        self, token: Pkcs11Token, key_id: bytes | None, label: str | None, key_size: int
    ) -> None:
        super().__init__(token, key_id, label)
        self.key_size = key_size

    def unwrap_oaep_sha256(self, wrapped_key: bytes) -> bytes:
        with self.token.session() as session:
            try:
                return bytes(
                    self._handle(session).decrypt(
                        wrapped_key,
                        mechanism=Mechanism.RSA_PKCS_OAEP,
                        mechanism_param=(Mechanism.SHA256, MGF.SHA256, None),
                    )
                )
            except (p11.EncryptedDataInvalid, p11.EncryptedDataLenRange):
                raise ValueError("OAEP") from None  # the seam's contract: one message
            except (p11.MechanismInvalid, p11.MechanismParamInvalid, p11.ArgumentsBad):
                # SoftHSM2 2.6 answers CKR_ARGUMENTS_BAD to OAEP parameters other than
                # SHA-1; every argument here is fixed by RSA_v1 (the block's width was
                # checked), so a refusal of them is a refusal of the mechanism.
                raise HsmMechanismUnsupportedError(
                    f"the token {self.token.token_label!r} does not do RSA-OAEP with SHA-256 "
                    "and MGF1-SHA-256, which RSA_v1 needs (SoftHSM2 2.6 does SHA-1 only): "
                    "use a token that does, or keep the RSA key in process"
                ) from None
            except p11.PKCS11Error as exc:
                raise _hsm_error(exc, "unwrapping with RSA-OAEP") from None


def _private_attributes(key: MerchantPrivateKey) -> dict[Any, Any]:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        attrs = pkcs11.util.ec.decode_ec_private_key(der)
        attrs[Attribute.DERIVE] = True
        attrs[Attribute.SIGN] = False
        return attrs
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    attrs = dict(pkcs11.util.rsa.decode_rsa_private_key(der))
    attrs.update({Attribute.DECRYPT: True, Attribute.SIGN: False, Attribute.UNWRAP: False})
    return attrs


_LOCKED_DOWN = {
    # The key may be used, never read: CKA_SENSITIVE and not CKA_EXTRACTABLE (the token
    # then keeps CKA_ALWAYS_SENSITIVE / CKA_NEVER_EXTRACTABLE for keys born inside it).
    "SENSITIVE": True,
    "EXTRACTABLE": False,
    "PRIVATE": True,
    "TOKEN": True,
}


def _locked(attrs: dict[Any, Any]) -> dict[Any, Any]:
    return {**attrs, **{getattr(Attribute, name): value for name, value in _LOCKED_DOWN.items()}}


def import_private_key(
    token: Pkcs11Token,
    key: MerchantPrivateKey,
    *,
    label: str,
) -> bytes:
    """Store ``key`` in the token (sensitive, not extractable) with ``CKA_ID`` = its
    publicKeyHash, and its public key beside it. Returns the publicKeyHash. The token must
    have been opened with ``rw=True``. Delete the PEM afterwards: the point is that it
    no longer exists outside the token."""
    _require_pkcs11()
    key_id = public_key_hash(key)
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if isinstance(key, ec.EllipticCurvePrivateKey):
        public_attrs = pkcs11.util.ec.decode_ec_public_key(public_der)
    else:
        public_attrs = pkcs11.util.rsa.decode_rsa_public_key(
            key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.PKCS1
            )
        )
    common = {Attribute.ID: key_id, Attribute.LABEL: label}
    with token.session() as session:
        # A second object with the same CKA_ID would make the key ambiguous to find.
        if token._find(session, ObjectClass.PRIVATE_KEY, key_id, None) is not None:
            raise ConfigurationError(
                f"the token {token.token_label!r} already holds this key (CKA_ID {key_id.hex()})"
            )
        try:
            session.create_object(_locked({**_private_attributes(key), **common}))
            session.create_object(
                {**public_attrs, **common, Attribute.TOKEN: True, Attribute.PRIVATE: False}
            )
        except p11.PKCS11Error as exc:
            raise _hsm_error(exc, "importing the key") from None
    return key_id


def generate_private_key(token: Pkcs11Token, *, label: str, key_type: str = "ec") -> bytes:
    """A key pair born in the token (sensitive, never extractable), ``CKA_ID`` set to its
    publicKeyHash: P-256 (``key_type="ec"``, EC_v1) or RSA-2048 (``"rsa"``, RSA_v1).
    Returns the publicKeyHash. The private key may sign, for its CSR only."""
    _require_pkcs11()
    if key_type not in ("ec", "rsa"):
        raise ConfigurationError("a payment processing key is ec (P-256) or rsa (RSA-2048)")
    with token.session() as session:
        # A second key under one label would make the label name no key (and the URI with
        # it, object=<label>, find two).
        if token._find(session, ObjectClass.PRIVATE_KEY, None, label) is not None:
            raise ConfigurationError(
                f"the token {token.token_label!r} already holds a key labelled {label!r}"
            )
        try:
            if key_type == "ec":
                params = session.create_domain_parameters(
                    KeyType.EC,
                    {Attribute.EC_PARAMS: pkcs11.util.ec.encode_named_curve_parameters(_P256_OID)},
                    local=True,
                )
                public, private = params.generate_keypair(
                    store=True,
                    label=label,
                    public_template={Attribute.TOKEN: True, Attribute.DERIVE: False},
                    private_template=_locked({Attribute.DERIVE: True, Attribute.SIGN: True}),
                )
                key_id = public_key_hash(_load_public(pkcs11.util.ec.encode_ec_public_key(public)))
            else:
                public, private = session.generate_keypair(
                    KeyType.RSA,
                    2048,
                    store=True,
                    label=label,
                    public_template={Attribute.TOKEN: True, Attribute.ENCRYPT: True},
                    private_template=_locked(
                        {Attribute.DECRYPT: True, Attribute.SIGN: True, Attribute.UNWRAP: False}
                    ),
                )
                numbers = rsa.RSAPublicNumbers(
                    int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
                    int.from_bytes(public[Attribute.MODULUS], "big"),
                )
                key_id = public_key_hash(numbers.public_key())
            public[Attribute.ID] = key_id
            private[Attribute.ID] = key_id
        except p11.PKCS11Error as exc:
            raise _hsm_error(exc, "generating a key") from None
    return key_id


def _load_public(der: bytes) -> ec.EllipticCurvePublicKey:
    public = serialization.load_der_public_key(der)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    return public


def store_certificate(
    token: Pkcs11Token, certificate: PathOrBytes | x509.Certificate, *, label: str
) -> bytes:
    """Store the payment processing certificate Apple returned beside its key (``CKA_ID`` =
    the publicKeyHash of its public key, which must be a key the token holds); then
    :meth:`Pkcs11Token.merchant_key` finds the merchant id by itself. Returns the
    publicKeyHash."""
    _require_pkcs11()
    from .files import load_certificate

    cert = load_certificate(certificate)
    key_id = public_key_hash(cert.public_key())  # type: ignore[arg-type]
    with token.session() as session:
        if token._find(session, ObjectClass.PRIVATE_KEY, key_id, None) is None:
            raise HsmKeyNotFoundError(
                f"the token {token.token_label!r} holds no private key for this certificate "
                f"(CKA_ID {key_id.hex()})"
            )
        if token._find(session, ObjectClass.CERTIFICATE, key_id, None) is not None:
            raise ConfigurationError(
                f"the token {token.token_label!r} already holds a certificate for this key"
            )
        try:
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: False,
                    Attribute.ID: key_id,
                    Attribute.LABEL: label,
                    Attribute.SUBJECT: cert.subject.public_bytes(),
                    Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                }
            )
        except p11.PKCS11Error as exc:
            raise _hsm_error(exc, "storing the certificate") from None
    return key_id


def certificate_signing_request(
    token: Pkcs11Token,
    *,
    key_id: bytes,
    merchant_id: str,
    organization: str | None = None,
    email: str | None = None,
    country: str | None = None,
) -> x509.CertificateSigningRequest:
    """The CSR Apple asks for, for a key born in the token, signed inside it (P-256:
    ``CKM_ECDSA`` over SHA-256; RSA: ``CKM_SHA256_RSA_PKCS``), with the subject a key file
    gets (:func:`applepay_crypto.merchant.certs.csr_subject`). The to-be-signed part is built
    with asn1crypto, the signature made by the token."""
    _require_pkcs11()
    from asn1crypto import csr as asn1_csr
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509

    from ..merchant.certs import csr_subject

    public = token.public_key(key_id)
    if public is None:
        raise HsmKeyNotFoundError(
            f"the token {token.token_label!r} holds no public key with CKA_ID {key_id.hex()}"
        )
    subject = csr_subject(
        merchant_id=merchant_id, organization=organization, email=email, country=country
    )
    spki = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    info = asn1_csr.CertificationRequestInfo(
        {
            "version": "v1",
            "subject": asn1_x509.Name.load(subject.public_bytes()),
            "subject_pk_info": asn1_keys.PublicKeyInfo.load(spki),
            "attributes": [],
        }
    )
    with token.session() as session:
        handle = token.private_key_handle(session, key_id, None)
        if not handle[Attribute.SIGN]:
            raise HsmKeyUsageError(
                f"the key with CKA_ID {key_id.hex()} has CKA_SIGN false: it cannot sign its CSR"
            )
        is_ec = isinstance(public, ec.EllipticCurvePublicKey)
        try:
            if is_ec:
                # SHA-256 here, ECDSA in the token (CKM_ECDSA over the digest): SoftHSM2
                # 2.6 has no CKM_ECDSA_SHA256, and every token has CKM_ECDSA.
                digest = hashlib.sha256(info.dump()).digest()
                raw = bytes(handle.sign(digest, mechanism=Mechanism.ECDSA))
                signature = pkcs11.util.ec.encode_ecdsa_signature(raw)
            else:
                signature = bytes(handle.sign(info.dump(), mechanism=Mechanism.SHA256_RSA_PKCS))
        except (p11.MechanismInvalid, p11.MechanismParamInvalid):
            raise HsmMechanismUnsupportedError(
                f"the token {token.token_label!r} does not sign with "
                + ("CKM_ECDSA" if is_ec else "CKM_SHA256_RSA_PKCS")
            ) from None
        except p11.PKCS11Error as exc:
            raise _hsm_error(exc, "signing the CSR") from None
    request = asn1_csr.CertificationRequest(
        {
            "certification_request_info": info,
            "signature_algorithm": {"algorithm": "sha256_ecdsa" if is_ec else "sha256_rsa"},
            "signature": signature,
        }
    )
    return x509.load_der_x509_csr(request.dump())


@dataclass(frozen=True)
class Pkcs11Uri:
    """What an RFC 7512 PKCS#11 URI names: the token, the key, where the PIN is, the module.
    Holds no PIN (a URI with ``pin-value`` is refused)."""

    token: str
    object: str | None
    id: bytes | None
    pin_source: str | None
    module_path: str | None


_PATH_ATTRIBUTES = {"token", "object", "id", "type", "manufacturer", "model", "serial"}
_QUERY_ATTRIBUTES = {"pin-source", "module-path", "module-name"}


def parse_pkcs11_uri(uri: str) -> Pkcs11Uri:
    """``pkcs11:token=merchant;object=apple-pay-2026?pin-source=file:/run/secrets/pin``.

    RFC 7512: path attributes separated by ``;``, query attributes after ``?`` separated by
    ``&``, values percent-encoded. ``pin-source`` is also accepted among the path attributes
    (as OpenSSL's and p11-kit's users often write it). ``pin-value`` is refused: a PIN in a
    URI ends up in ``ps``, shell histories and logs."""
    if not uri.startswith("pkcs11:"):
        raise ConfigurationError("a PKCS#11 URI starts with 'pkcs11:'")
    body = uri[len("pkcs11:") :]
    path, _, query = body.partition("?")
    values: dict[str, str] = {}
    raw_id: bytes | None = None
    parts = [part for part in path.split(";") if part] + [part for part in query.split("&") if part]
    for part in parts:
        name, equals, value = part.partition("=")
        name = name.lower()
        if not equals:
            raise ConfigurationError(f"the PKCS#11 URI attribute {name!r} has no value")
        if name == "pin-value":
            raise ConfigurationError(
                "a PIN in a PKCS#11 URI (pin-value) is refused: it would show in ps and logs; "
                "use pin-source=file:/path/to/pin"
            )
        if name not in _PATH_ATTRIBUTES | _QUERY_ATTRIBUTES:
            raise ConfigurationError(f"the PKCS#11 URI attribute {name!r} is not supported")
        if name in values or (name == "id" and raw_id is not None):
            raise ConfigurationError(f"the PKCS#11 URI gives {name!r} twice")
        if name == "id":
            raw_id = unquote_to_bytes(value)
            continue
        try:
            values[name] = unquote(value, errors="strict")
        except UnicodeDecodeError:
            raise ConfigurationError(
                f"the PKCS#11 URI attribute {name!r} is not percent-encoded UTF-8"
            ) from None
    if values.get("type", "private") != "private":
        raise ConfigurationError("a merchant key URI names the private key (type=private)")
    if "token" not in values:
        raise ConfigurationError("the PKCS#11 URI needs token=<label>")
    if "object" not in values and raw_id is None:
        raise ConfigurationError("the PKCS#11 URI needs object=<label> or id=<CKA_ID>")
    source = values.get("pin-source")
    if source is not None:
        source = source[len("file:") :] if source.startswith("file:") else source
        if source.startswith("//"):
            source = source[2:]  # file:///run/secrets/pin
            source = "/" + source.lstrip("/")
    return Pkcs11Uri(
        token=values["token"],
        object=values.get("object"),
        id=raw_id,
        pin_source=source,
        module_path=values.get("module-path"),
    )


_OPEN_TOKENS: dict[tuple[str, str, bool], Pkcs11Token] = {}
_OPEN_TOKENS_LOCK = threading.Lock()


def token_from_uri(
    uri: str | Pkcs11Uri,
    *,
    module: str | os.PathLike[str] | None = None,
    pin_env: str | None = None,
    rw: bool = False,
) -> Pkcs11Token:
    """The logged-in token a PKCS#11 URI names, opened once per process and kept open
    (PKCS#11 logs in the application, not a session). The module comes from ``module``,
    else the URI's ``module-path``, else ``$PKCS11_MODULE``; the PIN from the URI's
    ``pin-source`` file, else the environment variable ``pin_env``."""
    parsed = uri if isinstance(uri, Pkcs11Uri) else parse_pkcs11_uri(uri)
    if parsed.pin_source is None and pin_env is None:
        raise ConfigurationError(
            "the PKCS#11 URI has no pin-source=file:/path (the file holding the PIN)"
        )
    path = os.fspath(module or parsed.module_path or os.environ.get(MODULE_ENV) or DEFAULT_MODULE)
    with _OPEN_TOKENS_LOCK:
        token = _OPEN_TOKENS.get((path, parsed.token, rw))
        if token is None:
            token = Pkcs11Token(
                path,
                token_label=parsed.token,
                pin_file=parsed.pin_source,
                pin_env=None if parsed.pin_source is not None else pin_env,
                rw=rw,
            )
            _OPEN_TOKENS[(path, parsed.token, rw)] = token
    return token


def held_key_from_uri(
    uri: str,
    *,
    module: str | os.PathLike[str] | None = None,
    pin_env: str | None = None,
) -> HeldKey:
    """The key a PKCS#11 URI names, with its public key and stored certificate
    (:meth:`Pkcs11Token.held_key`), before its merchant id is known."""
    parsed = parse_pkcs11_uri(uri)
    token = token_from_uri(parsed, module=module, pin_env=pin_env)
    return token.held_key(key_id=parsed.id, label=parsed.object)


def merchant_key_from_uri(
    uri: str,
    *,
    module: str | os.PathLike[str] | None = None,
    pin_env: str | None = None,
    certificate: PathOrBytes | x509.Certificate | None = None,
    merchant_id: str | None = None,
) -> MerchantKey:
    """The merchant key a PKCS#11 URI names (the token as :func:`token_from_uri` opens
    it); its certificate is ``certificate`` or the one stored beside it."""
    parsed = parse_pkcs11_uri(uri)
    token = token_from_uri(parsed, module=module, pin_env=pin_env)
    return token.merchant_key(
        key_id=parsed.id, label=parsed.object, certificate=certificate, merchant_id=merchant_id
    )
