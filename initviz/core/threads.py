"""BLAS threading for small matrices on shared machines.

The network's matrices are tiny (hundreds x 32), where a multi-threaded BLAS gains nothing and,
on a busy 2-core machine (a classroom's Voila server, a Binder pod), its spinning threads made a
30-layer forward pass 2-5x slower in our measurements. One BLAS thread per kernel is faster
and shares the machine fairly.
"""
from __future__ import annotations

_limiter = None


def limit_blas_threads(n: int = 1) -> bool:
    """Use ``n`` BLAS threads in this process from now on; False if threadpoolctl is missing."""
    global _limiter
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    _limiter = threadpool_limits(limits=n, user_api="blas")
    return True
