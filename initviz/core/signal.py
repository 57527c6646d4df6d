"""Signal propagation in a deep random network: mean-field theory, order and chaos.

The next steps after Glorot and He (Poole et al. 2016, "Exponential expressivity in deep neural
networks through transient chaos"; Schoenholz et al. 2017, "Deep information propagation"). A
wide network with kernels of variance ``weight_variance / fan_in`` (``sw``) and biases of
variance ``bias_variance`` (``sb``) has Gaussian pre-activations whose variance follows the
*length map* and whose correlation between two inputs follows the *correlation map*::

    q_{l+1} = sw E[phi(sqrt(q_l) z)^2] + sb                               (length map)
    c_{l+1} = (sw E[phi(u1) phi(u2)] + sb) / q*,   u1 = sqrt(q*) z1,
              u2 = sqrt(q*) (c z1 + sqrt(1 - c^2) z2)                      (correlation map)
    chi1    = sw E[phi'(sqrt(q*) z)^2]           slope of the correlation map at c = 1

``chi1 < 1``: ordered (nearby inputs become the same, gradients vanish); ``chi1 > 1``: chaotic
(nearby inputs are torn apart, gradients explode); ``chi1 = 1``: the edge of chaos. Correlations
reach their fixed point c* over ``depth_scale`` = xi = -1/ln(chi_c) layers (chi_c the map's slope
at c*), and networks deeper than about 6 xi do not train (Schoenholz et al., fig. 5).

How it is computed
------------------
* Expectations over one Gaussian: Gauss-Hermite quadrature with 200 nodes (probabilists' weights,
  an even order so no node sits on a kink at 0, as in :mod:`initviz.core.theory`) using each
  activation's own ``forward`` and ``derivative``; over two correlated Gaussians (the correlation
  map) a 64 x 64 product rule.
* Closed forms for the positively homogeneous activations (linear, relu, leaky_relu:
  ``phi(x) = p x`` for x > 0 and ``n x`` below): ``E[phi(sqrt(q) z)^2] = q (p^2 + n^2) / 2`` and
  the arc-cosine kernel for the correlation map. They are exact, with no Gaussian quadrature.
* ``fixed_point`` is the fixed point that iterating the length map from ``q0`` (default 1)
  reaches: the first root of ``L(q) - q`` in the direction the iteration moves, bracketed on a
  geometric grid and refined by regula falsi (Illinois) in log q. The edge of chaos is where
  chi1 at that fixed point crosses 1 (a geometric scan of sw, then bisection). 0 when the
  signal dies out (no bias, ordered), ``inf`` when it grows without bound (no fixed point:
  ReLU past sw = 2, linear past 1, ...).

Limits worth knowing
--------------------
* At q* = 0 (no bias, ordered phase) the chi's are the q -> 0 limits (tanh: chi1 = sw), and xi =
  -1/ln chi1 is the depth scale over which the signal and the gradient vanish, the limit of xi as
  the bias variance goes to 0.
* Where q* is infinite there is no fixed point and ``depth_scale`` is ``inf``: the correlation map
  of a positively homogeneous function has slope exactly 1 at c = 1, so correlations converge only
  polynomially; such a network fails by exploding signals and gradients (chi1^depth), not by xi.
  In particular ReLU has no chaotic phase: its critical weight variance is 2 whatever the bias
  (the He value), and beyond it the signal explodes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from initviz.core import activations
from initviz.core._registry import check_finite

__all__ = ["fixed_point", "chi1", "critical_weight_variance", "depth_scale",
           "jacobian_singular_values", "length_map", "correlation_map", "correlation_slope",
           "preactivation_variances", "activation_std", "critical_line", "depth_scale_grid",
           "fixed_correlation", "redraw_gaussian", "ORDER", "ORDER_2D"]

ORDER = 200       # Gauss-Hermite nodes for one Gaussian (even: no node at the kink at 0)
ORDER_2D = 64     # nodes per dimension for the correlation map's two Gaussians
Q_MIN, Q_MAX = 1e-20, 1e24  # the q -> 0 and q -> inf limits are evaluated here
_SCAN_FACTOR = 16.0         # geometric bracketing step of the fixed-point search
_BISECTIONS = 60


def _rule(order: int) -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = hermegauss(order)
    return nodes, weights / math.sqrt(2 * math.pi)  # E[g(Z)] = weights @ g(nodes)


_NODES, _WEIGHTS = _rule(ORDER)
_NODES2, _WEIGHTS2 = _rule(ORDER_2D)


@dataclass(frozen=True)
class _Homogeneous:
    """``phi(x) = right * x`` for x > 0 and ``left * x`` for x < 0: exact closed forms."""

    right: float
    left: float

    @property
    def second(self) -> float:
        """E[phi(z)^2] = E[phi'(z)^2] for z ~ N(0, 1)."""
        return (self.right ** 2 + self.left ** 2) / 2

    def kernel(self, c: np.ndarray) -> np.ndarray:
        """E[phi(u1) phi(u2)] / q for unit-correlation c (the arc-cosine kernel of degree 1)."""
        k = (np.sqrt(np.maximum(1 - c * c, 0.0)) + (math.pi - np.arccos(c)) * c) / (2 * math.pi)
        return self.right * self.left * c + (self.right - self.left) ** 2 * k

    def slope_kernel(self, c: np.ndarray) -> np.ndarray:
        """E[phi'(u1) phi'(u2)] (the arc-cosine kernel of degree 0)."""
        theta = (math.pi - np.arccos(c)) / (2 * math.pi)
        return self.right * self.left + (self.right - self.left) ** 2 * theta


_HOMOGENEOUS: dict[str, _Homogeneous] = {
    "linear": _Homogeneous(1.0, 1.0),
    "relu": _Homogeneous(1.0, 0.0),
    "leaky_relu": _Homogeneous(1.0, activations.LEAKY_RELU_SLOPE),
}
"""Activations whose Gaussian expectations have closed forms (checked against quadrature in
the tests)."""


# ---------------------------------------------------------------------------------------------
# validation


def _activation(name) -> activations.Activation:
    return activations.get(name)


def _variance(name: str, value) -> float:
    x = check_finite(name, value)
    if x < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return x


def _variances(weight_variance, bias_variance) -> tuple[float, float]:
    return _variance("weight_variance", weight_variance), _variance("bias_variance", bias_variance)


def _array(name: str, values, lo: float, hi: float) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers from {lo} to {hi}, got {values!r}") from None
    if not np.all((a >= lo) & (a <= hi)):  # NaN fails too
        raise ValueError(f"{name} must be from {lo} to {hi}, got {values!r}")
    return a


# ---------------------------------------------------------------------------------------------
# one-Gaussian expectations


def _moments(act: activations.Activation, q) -> tuple[np.ndarray, np.ndarray]:
    """``(E[phi(sqrt(q) z)^2], E[phi'(sqrt(q) z)^2])`` for an array of q (quadrature)."""
    q = np.asarray(q, dtype=np.float64)
    with np.errstate(all="ignore"):
        z = np.sqrt(q)[..., None] * _NODES
        a = act.forward(z)
        d = act.derivative(z, a)
        return (a * a) @ _WEIGHTS, (d * d) @ _WEIGHTS


def _mean_and_second(act: activations.Activation, q) -> tuple[np.ndarray, np.ndarray]:
    q = np.asarray(q, dtype=np.float64)
    with np.errstate(all="ignore"):
        a = act.forward(np.sqrt(q)[..., None] * _NODES)
        return a @ _WEIGHTS, (a * a) @ _WEIGHTS


def length_map(activation: str, weight_variance: float, bias_variance: float, q) -> np.ndarray | float:
    """``q' = sw E[phi(sqrt(q) z)^2] + sb``: the next layer's pre-activation variance (q >= 0,
    scalar or array)."""
    act = _activation(activation)
    sw, sb = _variances(weight_variance, bias_variance)
    q = _array("q", q, 0.0, math.inf)
    closed = _HOMOGENEOUS.get(act.name)
    if closed is not None:
        out = sw * closed.second * q + sb
    else:
        out = sw * _moments(act, q)[0] + sb
    return float(out) if out.ndim == 0 else out


def preactivation_variances(activation: str, weight_variance: float, bias_variance: float,
                            depth: int, input_variance: float = 1.0) -> np.ndarray:
    """``q_1 .. q_depth``: the signal through depth. ``q_1 = sw * input_variance + sb`` (the
    first layer reads the inputs, E[x^2] = input_variance; 1 for standardised features), then the
    length map. On a log axis a constant ratio per layer is a straight line: linear units with
    sw = 1.5^2 grow by 1.5 per layer in std, sw = 0.5^2 shrink by 2, He + ReLU (sw = 2) stays
    flat."""
    act = _activation(activation)
    sw, sb = _variances(weight_variance, bias_variance)
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")
    q = sw * _variance("input_variance", input_variance) + sb
    out = np.empty(int(depth))
    closed = _HOMOGENEOUS.get(act.name)
    with np.errstate(all="ignore"):
        for layer in range(int(depth)):
            out[layer] = q
            q = sw * (closed.second * q if closed else float(_moments(act, q)[0])) + sb
    return out


def activation_std(activation: str, q) -> np.ndarray | float:
    """Std of ``phi(z)`` for ``z ~ N(0, q)`` (the spread a layer's activations show)."""
    act = _activation(activation)
    q = _array("q", q, 0.0, math.inf)
    mean, second = _mean_and_second(act, q)
    out = np.sqrt(np.maximum(second - mean * mean, 0.0))
    return float(out) if out.ndim == 0 else out


# ---------------------------------------------------------------------------------------------
# the length map's fixed point and chi1


def _illinois(f, xa, fa, xb, fb, steps: int = 40, tol: float = 1e-13):
    """Roots of ``f`` (vectorised) in brackets ``[xa, xb]`` with ``f(xa)``, ``f(xb)`` of
    opposite signs: the Illinois variant of regula falsi (superlinear, never leaves the bracket;
    at a jump it still closes in on the jump). Stops when every step is below ``tol``."""
    for _ in range(steps):
        with np.errstate(all="ignore"):
            x = xb - fb * (xb - xa) / (fb - fa)
        x = np.where(np.isfinite(x), x, 0.5 * (xa + xb))
        fx = f(x)
        flip = fx * fb < 0
        xa, fa = np.where(flip, xb, xa), np.where(flip, fb, fa * 0.5)
        done = bool(np.all(np.abs(x - xb) <= tol * np.maximum(1.0, np.abs(x))))
        xb, fb = x, fx
        if done:
            break
    return xb


def _fixed_points(act: activations.Activation, sw: np.ndarray | float, sb: np.ndarray | float,
                  q0: float) -> np.ndarray:
    """Vectorised :func:`fixed_point` over broadcast arrays of sw and sb.

    The root of ``r(x) = L(e^x) / e^x - 1`` (same sign as L(q) - q, but scale-free) first met
    going from log q0 in the direction the iteration moves: bracketed by steps of x16 in q,
    then the Illinois variant of regula falsi (superlinear, and it never leaves the bracket)."""
    sw, sb = np.broadcast_arrays(np.asarray(sw, float), np.asarray(sb, float))
    closed = _HOMOGENEOUS.get(act.name)
    if closed is not None:
        slope = sw * closed.second
        with np.errstate(all="ignore"):
            q = np.where(slope < 1, sb / (1 - slope), np.inf)
        return np.where((slope == 1) & (sb == 0), q0, q)

    def ratio(x):  # L(q)/q - 1 at q = e^x
        q = np.exp(x)
        return (sw * _moments(act, q)[0] + sb) / q - 1

    shape = sw.shape
    x0 = math.log(q0)
    start = ratio(np.full(shape, x0))
    down = start < 0
    result = np.where(start == 0, q0, np.nan)
    xa = np.full(shape, x0)       # bracket: r(xa) and r(xb) of opposite signs (or zero)
    ra = start.copy()
    xb = np.full(shape, np.nan)
    rb = np.full(shape, np.nan)
    open_ = start != 0
    step = math.log(_SCAN_FACTOR)
    low, high = math.log(Q_MIN), math.log(Q_MAX)
    for k in range(1, int(math.ceil(max(x0 - low, high - x0) / step)) + 1):
        if not open_.any():
            break
        x = np.clip(np.where(down, x0 - k * step, x0 + k * step), low, high)
        r = ratio(x)
        found = open_ & np.where(down, r >= 0, r <= 0)
        xb, rb = np.where(found, x, xb), np.where(found, r, rb)
        past = open_ & ~found & np.where(down, x <= low, x >= high)
        result = np.where(past, np.where(down, 0.0, np.inf), result)
        keep = open_ & ~found & ~past
        xa, ra = np.where(keep, x, xa), np.where(keep, r, ra)   # the last point before the root
        open_ = keep
    result = np.where(open_, np.where(down, 0.0, np.inf), result)
    brackets = np.isfinite(xb)
    if brackets.any():
        xa, ra = np.where(brackets, xa, 0.0), np.where(brackets, ra, 1.0)
        xb, rb = np.where(brackets, xb, 1.0), np.where(brackets, rb, -1.0)
        xb = _illinois(ratio, xa, ra, xb, rb)
        result = np.where(brackets, np.exp(xb), result)
    return result


def fixed_point(activation: str, weight_variance: float, bias_variance: float,
                q0: float = 1.0) -> float:
    """q*, the fixed point of the length map ``q = sw E[phi(sqrt(q) z)^2] + sb`` that the
    signal reaches from ``q0``; 0 when it dies out, ``inf`` where no fixed point exists (the
    signal grows without bound). ReLU: ``sb / (1 - sw/2)`` for sw < 2 (exact)."""
    act = _activation(activation)
    sw, sb = _variances(weight_variance, bias_variance)
    q0 = check_finite("q0", q0)
    if not Q_MIN <= q0 <= Q_MAX:
        raise ValueError(f"q0 must be from {Q_MIN:g} to {Q_MAX:g}, got {q0!r}")
    return float(_fixed_points(act, np.float64(sw), np.float64(sb), q0))


def _limit(q: np.ndarray) -> np.ndarray:
    """q* clamped to where the q -> 0 and q -> inf limits are evaluated."""
    return np.clip(q, Q_MIN, Q_MAX)


def _chi1(act: activations.Activation, sw, q_star) -> np.ndarray:
    closed = _HOMOGENEOUS.get(act.name)
    if closed is not None:
        return sw * closed.second * np.ones_like(np.asarray(q_star, float))
    return sw * _moments(act, _limit(np.asarray(q_star, float)))[1]


def chi1(activation: str, weight_variance: float, bias_variance: float) -> float:
    """``chi1 = sw E[phi'(sqrt(q*) z)^2]``: the factor by which a small perturbation's squared
    length (and a gradient's) changes per layer at the fixed point. < 1 ordered, > 1 chaotic.
    ReLU: exactly sw / 2."""
    act = _activation(activation)
    sw, sb = _variances(weight_variance, bias_variance)
    return float(_chi1(act, sw, _fixed_points(act, np.float64(sw), np.float64(sb), 1.0)))


# ---------------------------------------------------------------------------------------------
# the edge of chaos


_SW_GRID = np.geomspace(1e-2, 1e4, 25)   # the scan of critical_line: 4 points per decade


def critical_line(activation: str, bias_variances) -> np.ndarray:
    """The critical weight variance at each of ``bias_variances`` (vectorised
    :func:`critical_weight_variance`), for drawing the edge of chaos; NaN where chi1 stays
    below 1 for weight variances up to 1e4."""
    act = _activation(activation)
    sbs = _array("bias_variances", bias_variances, 0.0, math.inf)
    closed = _HOMOGENEOUS.get(act.name)
    if closed is not None:
        return np.full(sbs.shape, 1 / closed.second)
    flat = sbs.reshape(-1, 1)
    SB = np.broadcast_to(flat, (flat.shape[0], _SW_GRID.size))
    SW = np.broadcast_to(_SW_GRID, SB.shape)
    with np.errstate(divide="ignore"):
        log_chi = np.log(_chi1(act, SW, _fixed_points(act, SW, SB, 1.0)))
    above = log_chi >= 0
    first = np.argmax(above, axis=1)
    found = above.any(axis=1) & (first > 0)
    k = np.where(found, first, 1)
    rows = np.arange(k.size)
    sb = flat[:, 0]

    def f(x):  # log chi1 at sw = e^x: 0 on the edge of chaos
        sw = np.exp(x)
        with np.errstate(divide="ignore"):
            return np.log(_chi1(act, sw, _fixed_points(act, sw, sb, 1.0)))

    lo = np.log(_SW_GRID[k - 1])
    hi = np.log(_SW_GRID[k])
    f_lo = np.where(found, log_chi[rows, k - 1], -1.0)
    f_hi = np.where(found, log_chi[rows, k], 1.0)
    f_lo = np.where(np.isfinite(f_lo), f_lo, -50.0)   # chi1 = 0 (no slope at q* = 0)
    x = _illinois(f, lo, f_lo, hi, f_hi, steps=60, tol=1e-12)
    out = np.where(found, np.exp(x), math.nan)
    out = np.where(above[:, 0], _SW_GRID[0], out)  # chaotic already at the grid's start
    return out.reshape(sbs.shape)


def critical_weight_variance(activation: str, bias_variance: float) -> float:
    """The weight variance where chi1 (at the fixed point reached from q = 1) crosses 1: the
    edge of chaos. tanh with no bias: 1; ReLU: 2 whatever the bias (He's value; leaky_relu
    2/(1 + 0.01^2), linear 1). For GELU and swish chi1 can jump across 1 where the fixed point
    switches; the jump is returned. NaN where chi1 stays below 1 up to a weight variance of
    1e4. Found by a geometric scan of the weight variance and regula falsi in log sw."""
    sb = _variance("bias_variance", bias_variance)
    return float(critical_line(activation, np.float64(sb)))


# ---------------------------------------------------------------------------------------------
# the correlation map and the depth scale


def _pair(q: float, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """u1, u2 on the 2-D quadrature grid for each c: shapes (..., ORDER_2D, ORDER_2D)."""
    s = math.sqrt(q)
    z1 = _NODES2[:, None]
    z2 = _NODES2[None, :]
    c = np.asarray(c, float)[..., None, None]
    u1 = s * z1 * np.ones_like(c)
    u2 = s * (c * z1 + np.sqrt(np.maximum(1 - c * c, 0.0)) * z2)
    return u1, u2


def _expect2(values: np.ndarray) -> np.ndarray:
    return np.einsum("...ij,i,j->...", values, _WEIGHTS2, _WEIGHTS2)


def _cmap(act: activations.Activation, sw: float, sb: float, q: float, c: np.ndarray) -> np.ndarray:
    """Normalised correlation map at q: (sw E[phi(u1)phi(u2)] + sb) / (sw E[phi(u)^2] + sb),
    which is Poole's map when q = q* (the denominator is then q*) and has c'(1) = 1 exactly."""
    closed = _HOMOGENEOUS.get(act.name)
    if closed is not None:
        return (sw * q * closed.kernel(c) + sb) / (sw * q * closed.second + sb)
    with np.errstate(all="ignore"):
        u1, u2 = _pair(q, c)
        f1 = act.forward(u1)
        cross = _expect2(f1 * act.forward(u2))
        diag = float(_WEIGHTS2 @ act.forward(math.sqrt(q) * _NODES2) ** 2)
    return (sw * cross + sb) / (sw * diag + sb)


def _cslope(act: activations.Activation, sw: float, q: float, c: np.ndarray | float) -> np.ndarray:
    """chi_c = sw E[phi'(u1) phi'(u2)] (Schoenholz et al.): the correlation map's slope at q*."""
    c = np.asarray(c, dtype=float)
    closed = _HOMOGENEOUS.get(act.name)
    if closed is not None:
        return sw * closed.slope_kernel(c)
    with np.errstate(all="ignore"):
        u1, u2 = _pair(q, c)
        return sw * _expect2(act.derivative(u1, act.forward(u1)) * act.derivative(u2, act.forward(u2)))


def _setting(activation, weight_variance, bias_variance):
    act = _activation(activation)
    sw, sb = _variances(weight_variance, bias_variance)
    q = float(_fixed_points(act, np.float64(sw), np.float64(sb), 1.0))
    return act, sw, sb, q


def correlation_map(activation: str, weight_variance: float, bias_variance: float, c):
    """``c'``: the correlation of two inputs' pre-activations one layer on, given correlation c
    (in [-1, 1]) at the fixed point q*. c = 1 is always a fixed point; it attracts in the
    ordered phase (inputs merge) and repels in the chaotic one (they decorrelate to c* < 1).
    Where q* is 0 or infinite the map is the limit of the normalised correlation."""
    act, sw, sb, q = _setting(activation, weight_variance, bias_variance)
    c = _array("c", c, -1.0, 1.0)
    out = np.clip(_cmap(act, sw, sb, float(_limit(q)), c), -1.0, 1.0)
    return float(out) if out.ndim == 0 else out


def correlation_slope(activation: str, weight_variance: float, bias_variance: float, c):
    """``dc'/dc = sw E[phi'(u1) phi'(u2)]`` at q* (Price's theorem); equals chi1 at c = 1."""
    act, sw, sb, q = _setting(activation, weight_variance, bias_variance)
    c = _array("c", c, -1.0, 1.0)
    out = _cslope(act, sw, float(_limit(q)), c)
    return float(out) if out.ndim == 0 else out


_C_GRID = np.concatenate([1 - np.geomspace(1e-10, 1e-2, 60), np.linspace(0.99, 0.0, 100)])


def _chaotic_fixed_correlation(act: activations.Activation, sw: float, sb: float, q: float) -> float:
    """The stable fixed point c* < 1 of the correlation map in the chaotic phase: going down
    from 1 (where the map lies below the diagonal) the first c with c' >= c brackets it."""
    gap = _cmap(act, sw, sb, q, _C_GRID) - _C_GRID
    above = np.flatnonzero(gap >= 0)
    if not above.size:  # c' < c all the way down to 0 cannot happen (c'(0) >= 0)
        return 0.0
    k = above[0]
    if k == 0:  # numerically at c = 1: criticality
        return 1.0
    a, b = _C_GRID[k], _C_GRID[k - 1]   # gap(a) >= 0 > gap(b), a < b
    for _ in range(_BISECTIONS):
        mid = 0.5 * (a + b)
        if float(_cmap(act, sw, sb, q, mid)) - mid >= 0:
            a = mid
        else:
            b = mid
    return 0.5 * (a + b)


def fixed_correlation(activation: str, weight_variance: float, bias_variance: float) -> float:
    """c*, the stable fixed point of the correlation map: 1 in the ordered phase, < 1 in the
    chaotic one (tanh with no bias: 0)."""
    act, sw, sb, q = _setting(activation, weight_variance, bias_variance)
    if not math.isfinite(q) or float(_chi1(act, sw, q)) <= 1:
        return 1.0
    return _chaotic_fixed_correlation(act, sw, sb, q)


def _depth_scale(act: activations.Activation, sw: float, sb: float, q: float) -> float:
    if not math.isfinite(q):
        return math.inf
    chi = float(_chi1(act, sw, q))
    if chi > 1 and act.name not in _HOMOGENEOUS:
        c_star = _chaotic_fixed_correlation(act, sw, sb, q)
        chi = float(_cslope(act, sw, q, c_star)) if c_star < 1 else 1.0
    if chi >= 1:
        return math.inf
    if chi <= 0:
        return 0.0
    return -1.0 / math.log(chi)


def depth_scale(activation: str, weight_variance: float, bias_variance: float) -> float:
    """xi = -1/ln(chi_c): the depth over which two inputs' correlation reaches its fixed point
    c* (chi_c the correlation map's slope there: chi1 in the ordered phase where c* = 1).
    Infinite at the edge of chaos; networks deeper than about 6 xi do not train (Schoenholz et
    al. 2017). ``inf`` too where the signal has no fixed point (see the module notes)."""
    act, sw, sb, q = _setting(activation, weight_variance, bias_variance)
    return _depth_scale(act, sw, sb, q)


def depth_scale_grid(activation: str, weight_variances, bias_variances) -> np.ndarray:
    """xi on the grid ``(len(bias_variances), len(weight_variances))`` (rows: bias variance),
    for contour plots of 6 xi on the (weight variance, bias variance) plane. The fixed points
    are found for the whole grid at once."""
    act = _activation(activation)
    sws = _array("weight_variances", weight_variances, 0.0, math.inf).ravel()
    sbs = _array("bias_variances", bias_variances, 0.0, math.inf).ravel()
    SW, SB = np.meshgrid(sws, sbs)
    Q = _fixed_points(act, SW, SB, 1.0)
    out = np.empty(SW.shape)
    for index in np.ndindex(SW.shape):
        out[index] = _depth_scale(act, float(SW[index]), float(SB[index]), float(Q[index]))
    return out


# ---------------------------------------------------------------------------------------------
# the Jacobian of a network


def jacobian_singular_values(network, X, dtype=None) -> np.ndarray:
    """Singular values (descending) of ``d h_last / d h_first``, the Jacobian of the last hidden
    layer's activations with respect to the first hidden layer's, at each input row: shape
    ``(len(X), width)``. ``network`` is an :class:`initviz.core.network.Network` with at least
    two hidden layers of one width. In row form ``J = W_2 D_2 W_3 D_3 ... W_L D_L`` with
    ``D_l = diag(phi'(z_l))``; all rows go through each layer in one product. Dynamical isometry
    (Saxe et al. 2014, Pennington et al. 2017) means every singular value is near 1."""
    hidden = list(network.sizes[1:-1])
    if len(hidden) < 2:
        raise ValueError(f"the Jacobian between hidden layers needs at least 2 hidden layers, "
                         f"got {len(hidden)}")
    if len(set(hidden)) != 1:
        raise ValueError(f"the hidden layers must all have the same width, got {hidden}")
    width = hidden[0]
    dtype = np.dtype(network.dtype if dtype is None else dtype)
    X = np.asarray(X, dtype=dtype)
    if X.ndim != 2 or X.shape[1] != network.sizes[0] or X.shape[0] < 1:
        raise ValueError(f"inputs must have shape (n, {network.sizes[0]}) with n >= 1, got {X.shape}")
    n = X.shape[0]
    act = network.activation
    Ws = [np.asarray(W, dtype=dtype) for W in network.weights]
    bs = [np.asarray(b, dtype=dtype) for b in network.biases]
    with np.errstate(all="ignore"):
        h = act.forward(X @ Ws[0] + bs[0])
        J = None
        for W, b in zip(Ws[1:len(hidden)], bs[1:len(hidden)]):
            z = h @ W + b
            h = act.forward(z)
            d = act.derivative(z, h)[:, None, :]        # (n, 1, width): scales J's columns
            if J is None:
                J = W[None, :, :] * d                    # (n, width, width)
            else:
                J = (J.reshape(n * width, width) @ W).reshape(n, width, width) * d
        assert J is not None  # depth >= 2 was checked: at least one layer was multiplied in
        return np.linalg.svd(J, compute_uv=False)


def redraw_gaussian(network, weight_variance: float, bias_variance: float,
                    rng: np.random.Generator) -> None:
    """Redraw every kernel of ``network`` in place as N(0, weight_variance / fan_in) and every
    bias as N(0, bias_variance): exactly the random network the mean-field theory describes
    (untruncated Gaussians; the output layer too)."""
    sw, sb = _variances(weight_variance, bias_variance)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {rng!r}")
    for W, b in zip(network.weights, network.biases):
        W[...] = rng.standard_normal(W.shape) * math.sqrt(sw / W.shape[0])
        b[...] = rng.standard_normal(b.shape) * math.sqrt(sb)
