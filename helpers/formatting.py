"""How a trained number is shown: behind ``≈``.

A trained number differs in its last digits from machine to machine (BLAS kernels,
thread counts and SIMD paths sum in other orders), so the notebooks print it as
``≈0.8765``. nbval's sanitizer (``.nbval-sanitize.cfg``) masks the digits after ``≈``;
the committed results file holds them, and :mod:`helpers.verify` compares those. A
trained *choice* (a ranking, a best parameter) is shown as ``≈[...]`` for the same reason.
"""

from __future__ import annotations

APPROX = "≈"


def approx(value: float, spec: str = ".4f") -> str:
    """``value`` formatted by ``spec`` behind ``≈``: a trained number."""
    return f"{APPROX}{value:{spec}}"


def approx_choice(text: str) -> str:
    """``≈[text]``: an outcome decided by trained numbers (a ranking, a best parameter)
    that another machine may decide otherwise within the measured spread."""
    if "]" in text or "\n" in text:
        raise ValueError(f"a trained choice must fit on one line without ']': {text!r}")
    return f"{APPROX}[{text}]"


def approx_format(spec: str = ".4f"):
    """A ``float_format`` for pandas that prints every number with :func:`approx`."""
    return lambda value: approx(value, spec)


def approx_frame(frame, columns=None, spec: str = ".4f", na_rep: str = "never"):
    """A copy of the DataFrame ``frame`` with ``columns`` (default: every numeric one)
    printed by :func:`approx`; missing values show as ``na_rep``. Integer columns keep
    no decimals."""
    shown = frame.copy()
    numeric = shown.select_dtypes("number").columns
    for column in numeric if columns is None else columns:
        integral = shown[column].dropna().map(float).map(float.is_integer).all()
        column_spec = "d" if integral and spec.endswith("f") else spec
        shown[column] = shown[column].map(
            lambda value, s=column_spec: (
                na_rep if value != value else approx(int(value) if s == "d" else value, s)
            )
        )
    return shown
