"""Recombine a SOPS data key split between key groups (Shamir's secret sharing).

A file encrypted with several ``key_groups`` stores one share of the data key
per group; any ``shamir_threshold`` of them rebuild it. SOPS uses HashiCorp
Vault's scheme: each share is the secret's bytes evaluated on a random
polynomial over GF(2^8) (the AES field, x^8+x^4+x^3+x+1), with the x
coordinate as the share's last byte. No maintained Python package implements
this exact layout (PyCryptodome's Shamir works on 16-byte blocks in GF(2^128)),
so the few lines of field arithmetic are written here and checked in the unit
tests against shares produced by the real ``sops`` binary.
"""

from __future__ import annotations


def _mult(a: int, b: int) -> int:
    """Product in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1."""
    out = 0
    while b:
        if b & 1:
            out ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x11B
        b >>= 1
    return out


def _inverse(a: int) -> int:
    """a^254 = a^-1 in the multiplicative group of GF(2^8)."""
    result, power, exponent = 1, a, 254
    while exponent:
        if exponent & 1:
            result = _mult(result, power)
        power = _mult(power, power)
        exponent >>= 1
    return result


def combine(parts: list[bytes]) -> bytes:
    """The secret the shares ``parts`` were split from (Lagrange interpolation at x = 0)."""
    if len(parts) < 2:
        raise ValueError("less than two parts cannot be used to reconstruct the secret")
    size = len(parts[0])
    if size < 2 or any(len(p) != size for p in parts):
        raise ValueError("all parts must be the same length, at least two bytes")
    xs = [p[-1] for p in parts]
    if len(set(xs)) != len(xs):
        raise ValueError("duplicate part detected")
    secret = bytearray()
    for index in range(size - 1):
        value = 0
        for i, part in enumerate(parts):
            basis = 1
            for j, xj in enumerate(xs):
                if i != j:
                    basis = _mult(basis, _mult(xj, _inverse(xs[i] ^ xj)))
            value ^= _mult(part[index], basis)
        secret.append(value)
    return bytes(secret)
