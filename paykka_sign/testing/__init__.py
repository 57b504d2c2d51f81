"""Test support for paykka_sign: the recorder of fuzz findings (not part of the API)."""
